#include "daemon/notify/presence_tracker.hpp"

#include <gtest/gtest.h>

namespace parkchat::notify {
namespace {

TEST(PresenceTrackerTest, OnlineWhileAnyGatewaySaysSo) {
  PresenceTracker presence;
  EXPECT_FALSE(presence.online(4));
  EXPECT_TRUE(presence.apply({{"userId", 4}, {"status", "online"}, {"gatewayId", "a"}}));
  EXPECT_TRUE(presence.apply({{"userId", 4}, {"status", "online"}, {"gatewayId", "b"}}));
  EXPECT_TRUE(presence.online(4));
  EXPECT_TRUE(presence.apply({{"userId", 4}, {"status", "offline"}, {"gatewayId", "a"}}));
  EXPECT_TRUE(presence.online(4));
  EXPECT_TRUE(presence.apply({{"userId", 4}, {"status", "offline"}, {"gatewayId", "b"}}));
  EXPECT_FALSE(presence.online(4));
}

TEST(PresenceTrackerTest, EventsWithoutAGatewayCountAsOne) {
  PresenceTracker presence;
  presence.apply({{"userId", 5}, {"status", "online"}, {"at", "2026-11-25T00:00:00Z"}});
  EXPECT_TRUE(presence.online(5));
  presence.apply({{"userId", 5}, {"status", "offline"}});
  EXPECT_FALSE(presence.online(5));
}

TEST(PresenceTrackerTest, IgnoresMalformedEvents) {
  PresenceTracker presence;
  EXPECT_FALSE(presence.apply(nlohmann::json::parse("[]")));
  EXPECT_FALSE(presence.apply({{"userId", "x"}, {"status", "online"}}));
  EXPECT_FALSE(presence.apply({{"userId", 4}, {"status", "away"}}));
  EXPECT_FALSE(presence.online(4));
}

}  // namespace
}  // namespace parkchat::notify
