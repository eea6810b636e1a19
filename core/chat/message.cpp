#include "core/chat/message.hpp"

#include "core/base/utf8.hpp"
#include "core/base/uuid.hpp"
#include "core/chat/text.hpp"
#include "core/proto/fields.hpp"

namespace parkchat::chat {

std::string_view type_name(MessageType type) {
  switch (type) {
    case MessageType::text: return "TEXT";
    case MessageType::image: return "IMAGE";
    case MessageType::system: return "SYSTEM";
  }
  return "TEXT";
}

std::optional<MessageType> parse_message_type(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  for (MessageType type : {MessageType::text, MessageType::image, MessageType::system}) {
    if (upper == type_name(type)) return type;
  }
  return std::nullopt;
}

nlohmann::json to_json(const Message& m) {
  return {{"id", m.id},
          {"roomId", m.room_id},
          {"senderId", m.sender_id},
          {"senderName", m.sender_name},
          {"content", m.content},
          {"type", type_name(m.type)},
          {"createdAt", format_iso8601(m.created_at)}};
}

Result<void> check_resend(const Message& stored, const std::string& room_id, std::int64_t sender_id) {
  if (stored.room_id == room_id && stored.sender_id == sender_id) return {};
  return fail(Errc::conflict, "message id " + stored.id + " is already used by another message");
}

Result<void> validate_client_content(MessageType type, std::string_view content) {
  auto length = utf8_length(content);
  if (!length) return fail(Errc::validation, "content is not valid UTF-8");
  switch (type) {
    case MessageType::system:
      return fail(Errc::validation, "SYSTEM messages are written by the server only");
    case MessageType::text:
      if (trim_space(content).empty()) return fail(Errc::validation, "content is empty");
      return check_stored_text("content", content, kMaxContentChars);
    case MessageType::image: {
      bool scheme = content.rfind("https://", 0) == 0 || content.rfind("http://", 0) == 0;
      std::string_view rest = content.substr(content.find("//") == std::string_view::npos ? 0 : content.find("//") + 2);
      bool has_host = !rest.empty() && rest.front() != '/';
      bool no_space = content.find_first_of(" \t\r\n") == std::string_view::npos &&
                      check_stored_text("content", content, kMaxImageUrlChars).has_value();
      if (!scheme || !has_host || !no_space || *length > kMaxImageUrlChars) {
        return fail(Errc::validation, "IMAGE content must be an http(s) URL of at most 2048 characters");
      }
      return {};
    }
  }
  return {};
}

Result<Message> message_from_json(const nlohmann::json& json) {
  if (!json.is_object()) return fail(Errc::validation, "message must be a JSON object");
  Message m;
  auto id = proto::require_uuid(json, {"id"});
  if (!id) return tl::unexpected(id.error());
  auto room = proto::require_uuid(json, {"roomId", "room_id"});
  if (!room) return tl::unexpected(room.error());
  auto sender = proto::require_int(json, {"senderId", "sender_id"});
  if (!sender) return tl::unexpected(sender.error());
  auto name = proto::optional_string(json, {"senderName", "sender_name"});
  if (!name) return tl::unexpected(name.error());
  auto content = proto::require_string(json, {"content"});
  if (!content) return tl::unexpected(content.error());
  auto type_text = proto::require_string(json, {"type", "message_type"});
  if (!type_text) return tl::unexpected(type_text.error());
  auto type = parse_message_type(*type_text);
  if (!type) return fail(Errc::validation, "type must be TEXT, IMAGE or SYSTEM");
  auto created = proto::require_string(json, {"createdAt", "created_at"});
  if (!created) return tl::unexpected(created.error());
  auto micros = parse_iso8601(*created);
  if (!micros) return fail(Errc::validation, "createdAt must be an ISO 8601 timestamp");
  if (*type != MessageType::system) {
    if (auto valid = validate_client_content(*type, *content); !valid) return tl::unexpected(valid.error());
  } else if (content->empty()) {
    return fail(Errc::validation, "SYSTEM content is empty");
  } else if (auto valid = check_stored_text("SYSTEM content", *content, kMaxContentChars); !valid) {
    return tl::unexpected(valid.error());
  }
  if (*name) {
    if (auto valid = check_stored_text("senderName", **name, kMaxNameChars); !valid) return tl::unexpected(valid.error());
  }
  m.id = *id;
  m.room_id = *room;
  m.sender_id = *sender;
  m.sender_name = name->value_or("");
  m.content = std::move(*content);
  m.type = *type;
  m.created_at = *micros;
  return m;
}

std::string preview(std::string_view text, std::size_t max_chars) {
  std::size_t chars = 0;
  std::size_t at = 0;
  while (at < text.size() && chars < max_chars) {
    unsigned char c = static_cast<unsigned char>(text[at]);
    std::size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    at += n;
    ++chars;
  }
  if (at >= text.size()) return std::string(text);
  return std::string(text.substr(0, at)) + "…";
}

}  // namespace parkchat::chat
