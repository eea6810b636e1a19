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

// One part of gateway `gateway`'s list of online users, as of `at` (µs past a fixed second).
nlohmann::json list_part(const std::string& gateway, int at, std::vector<std::int64_t> users, int part = 1, int parts = 1) {
  return {{"gatewayId", gateway},
          {"at", "2026-12-01T10:00:00." + std::string(6 - std::to_string(at).size(), '0') + std::to_string(at) + "Z"},
          {"userIds", users},
          {"part", part},
          {"parts", parts}};
}
nlohmann::json event(std::int64_t user, const char* status, const std::string& gateway, int at) {
  nlohmann::json e = list_part(gateway, at, {});
  return {{"userId", user}, {"status", status}, {"gatewayId", gateway}, {"at", e["at"]}};
}

TEST(PresenceTrackerTest, AListTellsWhoIsOnlineWithoutTheirEvents) {
  PresenceTracker presence;
  EXPECT_TRUE(presence.apply_list(list_part("a", 10, {4, 5})));
  EXPECT_TRUE(presence.online(4));
  EXPECT_EQ(presence.gateways_of(5), std::set<std::string>{"a"});
  EXPECT_TRUE(presence.apply_list(list_part("a", 20, {5})));
  EXPECT_FALSE(presence.online(4));
  EXPECT_TRUE(presence.online(5));
  EXPECT_FALSE(presence.apply_list(list_part("a", 15, {4})));  // older than the one applied
  EXPECT_FALSE(presence.online(4));
}

TEST(PresenceTrackerTest, TheNewerOfAListAndAnEventWinsWhicheverArrivesFirst) {
  PresenceTracker presence;
  // An event the list already holds, arriving after it: ignored.
  presence.apply_list(list_part("a", 20, {4}));
  presence.apply(event(4, "offline", "a", 10));
  EXPECT_TRUE(presence.online(4));
  // An event newer than a list that arrives after it: kept.
  presence.apply(event(6, "online", "a", 40));
  presence.apply(event(4, "offline", "a", 41));
  presence.apply_list(list_part("a", 30, {4}));
  EXPECT_TRUE(presence.online(6));
  EXPECT_FALSE(presence.online(4));
  // Two events out of order: the newer stands.
  presence.apply(event(7, "offline", "a", 61));
  presence.apply(event(7, "online", "a", 60));
  EXPECT_FALSE(presence.online(7));
}

TEST(PresenceTrackerTest, AListInPartsCountsOnceWhole) {
  PresenceTracker presence;
  presence.apply(event(9, "online", "a", 5));
  EXPECT_TRUE(presence.apply_list(list_part("a", 10, {4}, 1, 2)));
  EXPECT_TRUE(presence.online(9));  // not applied yet
  EXPECT_FALSE(presence.online(4));
  EXPECT_TRUE(presence.apply_list(list_part("a", 10, {5}, 2, 2)));
  EXPECT_TRUE(presence.online(4));
  EXPECT_TRUE(presence.online(5));
  EXPECT_FALSE(presence.online(9));
  // A part missing: the list is not applied.
  EXPECT_FALSE(presence.apply_list(list_part("a", 20, {6}, 2, 2)));
  EXPECT_FALSE(presence.online(6));
  EXPECT_FALSE(presence.apply_list({{"gatewayId", "a"}, {"part", 1}}));
}

TEST(PresenceTrackerTest, AGatewayNotHeardOfIsForgottenWithItsUsers) {
  using namespace std::chrono_literals;
  PresenceTracker presence(35s);
  const auto start = PresenceTracker::Clock::now();
  presence.apply_list(list_part("a", 10, {4}), start);
  presence.apply(event(5, "online", "b", 10), start + 30s);
  presence.apply({{"userId", 6}, {"status", "online"}}, start);  // anonymous
  presence.forget_silent(start + 34s);
  EXPECT_TRUE(presence.online(4));
  presence.forget_silent(start + 36s);
  EXPECT_FALSE(presence.online(4));  // "a" said nothing for 36 s
  EXPECT_TRUE(presence.online(5));
  EXPECT_TRUE(presence.online(6));
  presence.forget_silent(start + 1h);
  EXPECT_FALSE(presence.online(5));
  EXPECT_TRUE(presence.online(6));  // never forgotten
}

}  // namespace
}  // namespace parkchat::notify
