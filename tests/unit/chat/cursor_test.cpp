#include "core/chat/cursor.hpp"

#include <gtest/gtest.h>

#include "core/chat/room.hpp"
#include "core/chat/subjects.hpp"

namespace parkchat::chat {
namespace {

TEST(CursorTest, RoundTrips) {
  Cursor c{1732496523123456, "0b7c1a52-3f1d-4e7a-9c55-8d2e1f0a9b31"};
  auto back = decode_cursor(encode_cursor(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->created_at, c.created_at);
  EXPECT_EQ(back->id, c.id);
}

TEST(CursorTest, RefusesWhatItDidNotMake) {
  for (const char* bad : {"", "_", "123", "abc_0b7c1a52-3f1d-4e7a-9c55-8d2e1f0a9b31", "123_nope",
                          "99999999999999999999_0b7c1a52-3f1d-4e7a-9c55-8d2e1f0a9b31",
                          // 19 digits overflowed a 64-bit count before; past year 9999 PostgreSQL
                          // refused it with a 500.
                          "9999999999999999999_0b7c1a52-3f1d-4e7a-9c55-8d2e1f0a9b31",
                          "253402300800000000_0b7c1a52-3f1d-4e7a-9c55-8d2e1f0a9b31"}) {
    EXPECT_FALSE(decode_cursor(bad)) << bad;
  }
}

TEST(CursorTest, TakesTheLatestTimeAMessageCanHave) {
  EXPECT_TRUE(decode_cursor("253402300799999999_0b7c1a52-3f1d-4e7a-9c55-8d2e1f0a9b31"));
  EXPECT_TRUE(decode_cursor("0_0b7c1a52-3f1d-4e7a-9c55-8d2e1f0a9b31"));
}

TEST(RoomTest, SubjectsFollowTheContract) {
  EXPECT_EQ(message_subject(RoomType::direct, "r1"), "chat.dm.r1.message");
  EXPECT_EQ(message_subject(RoomType::group, "r1"), "chat.room.r1.message");
  EXPECT_EQ(message_subject(RoomType::booking, "r1"), "chat.room.r1.message");
}

TEST(RoomTest, ParsesTypesInAnyCase) {
  EXPECT_EQ(parse_room_type("direct"), RoomType::direct);
  EXPECT_EQ(parse_room_type("BOOKING"), RoomType::booking);
  EXPECT_FALSE(parse_room_type("CHANNEL"));
}

}  // namespace
}  // namespace parkchat::chat
