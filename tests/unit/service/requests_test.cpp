#include "daemon/service/requests.hpp"

#include <gtest/gtest.h>

namespace parkchat::service {
namespace {

using nlohmann::json;

TEST(RequestsTest, CreateRoomTakesTheCreatorFromUserIdOrTheFirstMember) {
  auto explicit_creator = create_room_request(json::parse(
      R"({"type":"group","name":"Sunday round","userId":4,"userName":"Kim","participant_ids":[5,6],"memberNames":["Lee","Park"]})"));
  ASSERT_TRUE(explicit_creator) << explicit_creator.error().message;
  EXPECT_EQ(explicit_creator->type, chat::RoomType::group);
  EXPECT_EQ(explicit_creator->creator.user_id, 4);
  EXPECT_EQ(explicit_creator->creator.user_name, "Kim");
  ASSERT_EQ(explicit_creator->others.size(), 2u);
  EXPECT_EQ(explicit_creator->others[1].user_name, "Park");

  auto seed_style = create_room_request(json::parse(R"({"type":"DIRECT","memberIds":[4,5],"memberNames":{"5":"Lee"}})"));
  ASSERT_TRUE(seed_style) << seed_style.error().message;
  EXPECT_EQ(seed_style->creator.user_id, 4);
  ASSERT_EQ(seed_style->others.size(), 1u);
  EXPECT_EQ(seed_style->others[0].user_name, "Lee");
}

TEST(RequestsTest, CreateRoomRefusesBadInput) {
  for (const char* bad : {R"({"type":"CHANNEL","memberIds":[1,2]})", R"({"memberIds":[1,2]})",
                          R"({"type":"GROUP"})", R"({"type":"GROUP","memberIds":"1,2"})",
                          R"({"type":"GROUP","memberIds":[1,-2]})", R"({"type":"BOOKING","memberIds":[1],"asService":true})",
                          R"({"type":"GROUP","memberIds":[1],"bookingId":3})", R"({"type":"GROUP","memberIds":[]})"}) {
    auto r = create_room_request(json::parse(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::validation) << bad;
  }
}

// BOOKING rooms come from the booking system only: FORBIDDEN for anyone else, before any other
// check, so the answer says nothing about the booking.
TEST(RequestsTest, ABookingRoomNeedsTheServiceRole) {
  for (const char* request : {R"({"type":"BOOKING","bookingId":7,"memberIds":[1,2],"userId":1})",
                              R"({"type":"BOOKING","bookingId":7,"memberIds":[1,2],"asService":"true"})",
                              R"({"type":"BOOKING","memberIds":[1]})"}) {
    auto r = create_room_request(json::parse(request));
    ASSERT_FALSE(r) << request;
    EXPECT_EQ(r.error().code, Errc::forbidden) << request;
  }
  EXPECT_TRUE(create_room_request(json::parse(R"({"type":"BOOKING","bookingId":7,"memberIds":[1,2],"asService":true})")));
}

TEST(RequestsTest, MalformedRoomIdIsNotFoundAndMissingIsValidation) {
  auto malformed = room_id(json::parse(R"({"roomId":"../etc"})"));
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, Errc::not_found);
  auto missing = room_id(json::parse(R"({})"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::validation);
}

TEST(RequestsTest, SaveMessageMakesAnIdWhenNoneIsGiven) {
  auto m = save_message_request(
      json::parse(R"({"roomId":"5f1d2c3b-4a59-4e68-8b7a-6c5d4e3f2a1b","senderId":4,"content":"hi","message_type":"TEXT"})"),
      42);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->id.size(), 36u);
  EXPECT_EQ(m->created_at, 42);
  auto other = save_message_request(
      json::parse(R"({"roomId":"5f1d2c3b-4a59-4e68-8b7a-6c5d4e3f2a1b","senderId":4,"content":"hi"})"), 42);
  ASSERT_TRUE(other);
  EXPECT_NE(other->id, m->id);
  EXPECT_EQ(other->type, chat::MessageType::text);
}

TEST(RequestsTest, SaveMessageRefusesBadContentAndIds) {
  const char* room = R"("roomId":"5f1d2c3b-4a59-4e68-8b7a-6c5d4e3f2a1b","senderId":4)";
  for (std::string body : {std::string(R"({"content":"  "})"), std::string(R"({"content":"x","type":"SYSTEM"})"),
                           std::string(R"({"content":"x","id":"12"})"), std::string(R"({"content":"not a url","type":"IMAGE"})"),
                           std::string(R"({"content":7})")}) {
    body.insert(1, std::string(room) + ",");
    auto r = save_message_request(json::parse(body), 1);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error().code, Errc::validation) << body;
  }
}

TEST(RequestsTest, ListMessagesClampsTheLimitAndChecksTheCursor) {
  const std::string room = R"("roomId":"5f1d2c3b-4a59-4e68-8b7a-6c5d4e3f2a1b","userId":4)";
  auto big = list_messages_request(json::parse("{" + room + R"(,"limit":1000})"));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->limit, 100);
  auto small = list_messages_request(json::parse("{" + room + R"(,"limit":0})"));
  ASSERT_TRUE(small);
  EXPECT_EQ(small->limit, 1);
  auto fallback = list_messages_request(json::parse("{" + room + "}"));
  ASSERT_TRUE(fallback);
  EXPECT_EQ(fallback->limit, 50);
  EXPECT_FALSE(list_messages_request(json::parse("{" + room + R"(,"cursor":"forged"})")));
}

TEST(RequestsTest, BookingEventsNeedABookingIdAndWellFormedParticipants) {
  auto event = booking_event(json::parse(R"({"bookingId":77,"participants":[{"userId":4,"userName":"Kim"},{"user_id":5}]})"));
  ASSERT_TRUE(event) << event.error().message;
  EXPECT_EQ(event->booking_id, 77);
  ASSERT_EQ(event->participants.size(), 2u);
  EXPECT_FALSE(booking_event(json::parse(R"({"participants":[]})")));
  EXPECT_FALSE(booking_event(json::parse(R"({"bookingId":1,"participants":[{"userName":"x"}]})")));
  EXPECT_FALSE(booking_event(json::parse(R"({"bookingId":1,"participants":{}})")));
}

}  // namespace
}  // namespace parkchat::service
