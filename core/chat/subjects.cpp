#include "core/chat/subjects.hpp"

namespace parkchat::chat {
namespace {

std::string subject_of(const char* prefix, std::string_view room_id, std::string_view kind) {
  std::string out = prefix;
  out += room_id;
  out += '.';
  out += kind;
  return out;
}

}  // namespace

std::string message_subject(RoomType type, std::string_view room_id) {
  return subject_of(type == RoomType::direct ? "chat.dm." : "chat.room.", room_id, "message");
}

std::string typing_subject(std::string_view room_id) { return subject_of("chat.room.", room_id, "typing"); }
std::string members_subject(std::string_view room_id) { return subject_of(kLivePrefix, room_id, "members"); }
std::string joined_subject(std::string_view room_id) { return subject_of(kLivePrefix, room_id, "joined"); }
std::string left_subject(std::string_view room_id) { return subject_of(kLivePrefix, room_id, "left"); }
std::string live_wildcard(std::string_view room_id) { return subject_of(kLivePrefix, room_id, ">"); }
std::string presence_subject(std::int64_t user_id) { return "chat.user." + std::to_string(user_id) + ".presence"; }

std::string gateway_notification_subject(std::string_view gateway_id) {
  return "chat.gateway." + std::string(gateway_id) + ".notification";
}

std::string gateway_online_subject(std::string_view gateway_id) { return "chat.gateway." + std::string(gateway_id) + ".online"; }

std::string_view subject_kind(std::string_view subject) {
  std::size_t start = 0;
  for (int token = 0; token < 3; ++token) {
    const std::size_t dot = subject.find('.', start);
    if (dot == std::string_view::npos) {
      const std::size_t last = subject.rfind('.');
      return last == std::string_view::npos ? subject : subject.substr(last + 1);
    }
    start = dot + 1;
  }
  return subject.substr(start, subject.find('.', start) - start);
}

}  // namespace parkchat::chat
