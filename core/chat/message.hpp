#pragma once
// A chat message (CONTRACT §3) and the rules its content follows. Pure: no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/base/clock.hpp"
#include "core/base/error.hpp"

namespace parkchat::chat {

enum class MessageType { text, image, system };

constexpr std::size_t kMaxContentChars = 4000;
constexpr std::size_t kMaxImageUrlChars = 2048;
constexpr std::size_t kMaxNameChars = 100;
// The sender of SYSTEM messages, which only the server writes.
constexpr std::int64_t kSystemSenderId = 0;

std::string_view type_name(MessageType type);
// "TEXT", "IMAGE", "SYSTEM" (any case); nullopt otherwise.
std::optional<MessageType> parse_message_type(std::string_view text);

struct Message {
  std::string id;       // UUID
  std::string room_id;  // UUID
  std::int64_t sender_id = 0;
  std::string sender_name;
  std::string content;
  MessageType type = MessageType::text;
  Micros created_at = 0;
};

// {id, roomId, senderId, senderName, content, type, createdAt}
nlohmann::json to_json(const Message& message);

// A message as published on CHAT_MESSAGES: every field present, ids UUIDs, content valid for
// its type. The id and room id come back in canonical lowercase form.
Result<Message> message_from_json(const nlohmann::json& json);

// An id names one message (CONTRACT §7.2): a send whose id is already taken is a retry of
// `stored` when room and sender are the same; CONFLICT otherwise, whatever the path.
Result<void> check_resend(const Message& stored, const std::string& room_id, std::int64_t sender_id);

// Checks what a client sends: TEXT is valid UTF-8, not blank, at most 4,000 characters; IMAGE
// is an http(s) URL; SYSTEM is refused (only the server writes it).
Result<void> validate_client_content(MessageType type, std::string_view content);

// The first `max_chars` characters of text, for notification previews.
std::string preview(std::string_view text, std::size_t max_chars = 100);

}  // namespace parkchat::chat
