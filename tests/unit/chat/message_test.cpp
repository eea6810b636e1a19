#include "core/chat/message.hpp"

#include <gtest/gtest.h>

namespace parkchat::chat {
namespace {

nlohmann::json valid_json() {
  return {{"id", "0B7C1A52-3F1D-4E7A-9C55-8D2E1F0A9B31"},
          {"roomId", "5f1d2c3b-4a59-4e68-8b7a-6c5d4e3f2a1b"},
          {"senderId", 4},
          {"senderName", "Kim"},
          {"content", "first tee at 7?"},
          {"type", "TEXT"},
          {"createdAt", "2026-11-25T01:02:03.123456Z"}};
}

TEST(MessageTest, TextMustBeNonBlankValidUtf8OfAtMost4000Characters) {
  EXPECT_TRUE(validate_client_content(MessageType::text, "hi"));
  EXPECT_FALSE(validate_client_content(MessageType::text, ""));
  EXPECT_FALSE(validate_client_content(MessageType::text, " \n\t\xe3\x80\x80"));
  EXPECT_FALSE(validate_client_content(MessageType::text, "bad \xff byte"));
  std::string korean;
  for (int i = 0; i < 4000; ++i) korean += "가";  // 4,000 characters, 12,000 bytes
  EXPECT_TRUE(validate_client_content(MessageType::text, korean));
  auto too_long = validate_client_content(MessageType::text, korean + "a");
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, Errc::validation);
  EXPECT_NE(too_long.error().message.find("4001"), std::string::npos);
}

TEST(MessageTest, ImageMustBeAnHttpUrl) {
  EXPECT_TRUE(validate_client_content(MessageType::image, "https://cdn.example.com/a.png"));
  EXPECT_TRUE(validate_client_content(MessageType::image, "http://x/y.jpg"));
  for (const char* bad : {"", "ftp://x/y.png", "https://", "https:///path", "javascript:alert(1)", "https://a b"}) {
    EXPECT_FALSE(validate_client_content(MessageType::image, bad)) << bad;
  }
}

TEST(MessageTest, ClientsCannotSendSystemMessages) {
  EXPECT_FALSE(validate_client_content(MessageType::system, "I am the server"));
}

TEST(MessageTest, RoundTripsThroughJsonWithCanonicalIds) {
  auto m = message_from_json(valid_json());
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->id, "0b7c1a52-3f1d-4e7a-9c55-8d2e1f0a9b31");
  EXPECT_EQ(m->sender_id, 4);
  EXPECT_EQ(m->type, MessageType::text);
  auto again = message_from_json(to_json(*m));
  ASSERT_TRUE(again);
  EXPECT_EQ(to_json(*again), to_json(*m));
  EXPECT_EQ(to_json(*m)["createdAt"], "2026-11-25T01:02:03.123456Z");
}

TEST(MessageTest, RefusesIncompleteOrMistypedJson) {
  for (const char* field : {"id", "roomId", "senderId", "content", "type", "createdAt"}) {
    auto json = valid_json();
    json.erase(field);
    EXPECT_FALSE(message_from_json(json)) << field;
  }
  auto bad_id = valid_json();
  bad_id["id"] = "not-a-uuid";
  EXPECT_FALSE(message_from_json(bad_id));
  auto bad_type = valid_json();
  bad_type["type"] = "VIDEO";
  EXPECT_FALSE(message_from_json(bad_type));
  EXPECT_FALSE(message_from_json(nlohmann::json::array()));
}

TEST(MessageTest, PreviewCutsAtCharacters) {
  EXPECT_EQ(preview("short"), "short");
  EXPECT_EQ(preview("안녕하세요", 2), "안녕…");
}

}  // namespace
}  // namespace parkchat::chat
