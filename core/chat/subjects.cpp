#include "core/chat/subjects.hpp"

namespace parkchat::chat {
namespace {

std::string room_subject(std::string_view room_id, std::string_view kind) {
  std::string out = "chat.room.";
  out += room_id;
  out += '.';
  out += kind;
  return out;
}

}  // namespace

std::string message_subject(RoomType type, std::string_view room_id) {
  return std::string(type == RoomType::direct ? "chat.dm." : "chat.room.") + std::string(room_id) + ".message";
}

std::string typing_subject(std::string_view room_id) { return room_subject(room_id, "typing"); }
std::string members_subject(std::string_view room_id) { return room_subject(room_id, "members"); }
std::string joined_subject(std::string_view room_id) { return room_subject(room_id, "joined"); }
std::string left_subject(std::string_view room_id) { return room_subject(room_id, "left"); }
std::string room_wildcard(std::string_view room_id) { return "chat.*." + std::string(room_id) + ".*"; }
std::string presence_subject(std::int64_t user_id) { return "chat.user." + std::to_string(user_id) + ".presence"; }

std::string_view subject_kind(std::string_view subject) {
  auto dot = subject.rfind('.');
  return dot == std::string_view::npos ? subject : subject.substr(dot + 1);
}

}  // namespace parkchat::chat
