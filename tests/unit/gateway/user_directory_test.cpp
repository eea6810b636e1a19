#include "daemon/gateway/user_directory.hpp"

#include <gtest/gtest.h>

namespace parkchat::gateway {
namespace {

std::vector<std::string> ids(const std::vector<SocketRef>& refs) {
  std::vector<std::string> out;
  for (const auto& ref : refs) out.push_back(ref.socket_id);
  return out;
}

TEST(UserDirectory, PresenceFollowsTheFirstAndTheLastSocket) {
  std::vector<std::string> said;
  UserDirectory users(3, [&](std::int64_t user, const char* status) { said.push_back(std::to_string(user) + status); });
  users.add(4, {0, "a"});
  users.add(4, {1, "b"});
  users.remove(4, "a");
  users.remove(4, "b");
  EXPECT_EQ(said, (std::vector<std::string>{"4online", "4offline"}));
  EXPECT_TRUE(users.sockets_of(4).empty());
}

TEST(UserDirectory, TheOldestSocketPastTheCapIsTakenOut) {
  UserDirectory users(2, nullptr);
  EXPECT_FALSE(users.add(4, {0, "a"}));
  EXPECT_FALSE(users.add(4, {1, "b"}));
  auto oldest = users.add(4, {0, "c"});
  ASSERT_TRUE(oldest);
  EXPECT_EQ(oldest->socket_id, "a");
  EXPECT_EQ(ids(users.sockets_of(4)), (std::vector<std::string>{"b", "c"}));
}

TEST(UserDirectory, SocketsOutsideARoomAreThoseThatHaveNotJoinedIt) {
  UserDirectory users(3, nullptr);
  users.add(4, {0, "a"});
  users.add(4, {1, "b"});
  users.entered(4, "a", "room-1");
  users.entered(4, "b", "room-2");
  std::vector<SocketRef> outside;
  users.sockets_outside(4, "room-1", outside);
  EXPECT_EQ(ids(outside), std::vector<std::string>{"b"});
  users.entered(4, "b", "room-1");
  outside.clear();
  users.sockets_outside(4, "room-1", outside);
  EXPECT_TRUE(outside.empty());
  users.left(4, "a", "room-1");
  users.sockets_outside(4, "room-1", outside);
  EXPECT_EQ(ids(outside), std::vector<std::string>{"a"});
  outside.clear();
  users.sockets_outside(5, "room-1", outside);  // nobody
  EXPECT_TRUE(outside.empty());
  users.entered(4, "gone", "room-1");  // a socket already removed: nothing
}

}  // namespace
}  // namespace parkchat::gateway
