#include "core/chat/room.hpp"

namespace parkchat::chat {

std::string_view type_name(RoomType type) {
  switch (type) {
    case RoomType::direct: return "DIRECT";
    case RoomType::group: return "GROUP";
    case RoomType::booking: return "BOOKING";
  }
  return "GROUP";
}

std::optional<RoomType> parse_room_type(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  for (RoomType type : {RoomType::direct, RoomType::group, RoomType::booking}) {
    if (upper == type_name(type)) return type;
  }
  return std::nullopt;
}

nlohmann::json to_json(const Room& room) {
  nlohmann::json members = nlohmann::json::array();
  for (const Member& m : room.members) {
    members.push_back({{"userId", m.user_id},
                       {"userName", m.user_name},
                       {"isAdmin", m.is_admin},
                       {"joinedAt", format_iso8601(m.joined_at)}});
  }
  return {{"id", room.id},
          {"name", room.name ? nlohmann::json(*room.name) : nlohmann::json()},
          {"type", type_name(room.type)},
          {"bookingId", room.booking_id ? nlohmann::json(*room.booking_id) : nlohmann::json()},
          {"members", std::move(members)},
          {"lastMessage", room.last_message ? to_json(*room.last_message) : nlohmann::json()},
          {"unreadCount", room.unread_count},
          {"createdAt", format_iso8601(room.created_at)},
          {"updatedAt", format_iso8601(room.updated_at)},
          {"readOnly", room.read_only}};
}

}  // namespace parkchat::chat
