#include "daemon/gateway/session_ids.hpp"

#include <gtest/gtest.h>

namespace parkchat::gateway {
namespace {

TEST(SessionIds, NameTheirShardInEveryRequestOfTheSession) {
  for (std::size_t shard : {0u, 1u, 3u, 15u, 16u, 63u}) {
    const std::string sid = new_session_id(shard);
    EXPECT_EQ(sid.size(), 20u) << sid;
    EXPECT_EQ(session_shard("/socket.io/?EIO=4&transport=polling&sid=" + sid), shard);
    EXPECT_EQ(session_shard("/socket.io/?sid=" + sid + "&EIO=4&transport=websocket"), shard);
    // Cut short after the shard's digits, as a peek of a long request line may be.
    EXPECT_EQ(session_shard("/socket.io/?EIO=4&sid=" + sid.substr(0, 2)), shard);
  }
  EXPECT_NE(new_session_id(2), new_session_id(2));
}

TEST(SessionIds, ATargetWithoutASessionNamesNoShard) {
  EXPECT_EQ(session_shard("/socket.io/?EIO=4&transport=polling"), std::nullopt);
  EXPECT_EQ(session_shard("/api/user/chat/rooms"), std::nullopt);
  EXPECT_EQ(session_shard("/socket.io/?EIO=4&xsid=01abc"), std::nullopt);  // another parameter
  EXPECT_EQ(session_shard("/socket.io/?EIO=4&sid=0"), std::nullopt);       // cut inside the digits
  EXPECT_EQ(session_shard("/socket.io/?EIO=4&sid=ZZabc"), std::nullopt);   // not ours
}

}  // namespace
}  // namespace parkchat::gateway
