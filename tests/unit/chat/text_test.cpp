#include "core/chat/text.hpp"

#include <gtest/gtest.h>

#include "core/chat/message.hpp"

namespace parkchat::chat {
namespace {

using namespace std::string_literals;

TEST(StoredText, RefusesNulAndOtherC0ControlsNamingFieldAndPlace) {
  auto nul = check_stored_text("content", "a\0b"s, 100);
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().code, Errc::validation);
  EXPECT_NE(nul.error().message.find("content"), std::string::npos);
  EXPECT_NE(nul.error().message.find("U+0000 at byte 1"), std::string::npos) << nul.error().message;
  for (char c : {'\x01', '\x08', '\x0b', '\x0c', '\x1b', '\x1f'}) {
    EXPECT_FALSE(check_stored_text("name", std::string("x") + c, 100)) << static_cast<int>(c);
  }
}

TEST(StoredText, AllowsTabNewlinesBidiMarksAndEveryScript) {
  EXPECT_TRUE(check_stored_text("content", "line one\r\n\tline two", 100));
  EXPECT_TRUE(check_stored_text("content", "\u200F\u05E9\u05DC\u05D5\u05DD\u202B abc \u202C\u200E", 100));
  EXPECT_TRUE(check_stored_text("content", "파크골프 7시 🏌️", 100));
}

TEST(StoredText, CountsCodePointsAndRefusesInvalidUtf8) {
  EXPECT_TRUE(check_stored_text("name", std::string(100, 'a'), 100));
  auto long_name = check_stored_text("name", std::string(101, 'a'), 100);
  ASSERT_FALSE(long_name);
  EXPECT_NE(long_name.error().message.find("101 characters"), std::string::npos);
  std::string korean;
  for (int i = 0; i < 100; ++i) korean += "골";
  EXPECT_TRUE(check_stored_text("name", korean, 100));
  EXPECT_FALSE(check_stored_text("name", "\xC3\x28", 100));
}

TEST(StoredText, ClientContentAndPublishedMessagesUseIt) {
  EXPECT_FALSE(validate_client_content(MessageType::text, "a\0b"s));
  EXPECT_FALSE(validate_client_content(MessageType::image, "https://x.example/a\x01.png"));
  EXPECT_TRUE(validate_client_content(MessageType::text, "a\tb\nc"));
  nlohmann::json published = {{"id", "6f1c5c1e-8f6b-4c53-9d7e-3f0a2b1c4d5e"},
                              {"roomId", "0b7e2c44-2f1d-4a4e-9b8a-1c2d3e4f5a6b"},
                              {"senderId", 4},
                              {"senderName", "Kim"},
                              {"content", "hi"},
                              {"type", "TEXT"},
                              {"createdAt", "2026-12-01T10:00:00.000Z"}};
  EXPECT_TRUE(message_from_json(published));
  published["content"] = "a\0b"s;
  EXPECT_FALSE(message_from_json(published));
  published["content"] = "hi";
  published["senderName"] = "K\0m"s;
  EXPECT_FALSE(message_from_json(published));
  published["senderName"] = "Kim";
  published["type"] = "SYSTEM";
  published["content"] = "joined\0"s;
  EXPECT_FALSE(message_from_json(published));
}

TEST(CleanName, DropsControlsAndInvalidBytesAndCutsToTheLimit) {
  EXPECT_EQ(clean_name("K\0i\x1bm\x7f"s, 100), "Kim");
  EXPECT_EQ(clean_name("Lee\xC2\x85 Park", 100), "Lee Park");  // U+0085, a C1 control
  EXPECT_EQ(clean_name("a\xFF\xC3" "b", 100), "ab");
  EXPECT_EQ(clean_name("\u200F\u05E9", 100), "\u200F\u05E9");
  EXPECT_EQ(clean_name(std::string(5000, 'x'), 100), std::string(100, 'x'));
  std::string korean;
  for (int i = 0; i < 150; ++i) korean += "골";
  std::string cut;
  for (int i = 0; i < 100; ++i) cut += "골";
  EXPECT_EQ(clean_name(korean, 100), cut);
}

}  // namespace
}  // namespace parkchat::chat
