#include "core/chat/subjects.hpp"

#include <gtest/gtest.h>

namespace parkchat::chat {
namespace {

TEST(Subjects, NameWhatARoomCarries) {
  const std::string room = "0b7a6c1e-2f3d-4e5f-8a9b-0c1d2e3f4a5b";
  EXPECT_EQ(message_subject(RoomType::group, room), "chat.room." + room + ".message");
  EXPECT_EQ(message_subject(RoomType::direct, room), "chat.dm." + room + ".message");
  EXPECT_EQ(typing_subject(room), "chat.room." + room + ".typing");
  EXPECT_EQ(members_subject(room), "chat.live." + room + ".members");
  EXPECT_EQ(joined_subject(room), "chat.live." + room + ".joined");
  EXPECT_EQ(live_wildcard(room), "chat.live." + room + ".>");
  EXPECT_EQ(presence_subject(42), "chat.user.42.presence");
}

TEST(Subjects, KindIsTheTokenAfterTheRoomId) {
  EXPECT_EQ(subject_kind("chat.dm.x.message"), "message");
  EXPECT_EQ(subject_kind("chat.live.x.message.dm"), "message");
  EXPECT_EQ(subject_kind("chat.live.x.typing"), "typing");
  EXPECT_EQ(subject_kind("chat.room.x.typing"), "typing");
  EXPECT_EQ(subject_kind("plain"), "plain");
}

}  // namespace
}  // namespace parkchat::chat
