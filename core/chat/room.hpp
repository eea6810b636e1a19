#pragma once
// A chat room as the contract shows it (CONTRACT §3), with its members. Pure: no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/clock.hpp"
#include "core/chat/message.hpp"

namespace parkchat::chat {

enum class RoomType { direct, group, booking };

std::string_view type_name(RoomType type);
// "DIRECT", "GROUP", "BOOKING" (any case); nullopt otherwise.
std::optional<RoomType> parse_room_type(std::string_view text);

struct Member {
  std::int64_t user_id = 0;
  std::string user_name;
  bool is_admin = false;
  Micros joined_at = 0;
};

struct Room {
  std::string id;
  std::optional<std::string> name;
  RoomType type = RoomType::group;
  std::optional<std::int64_t> booking_id;
  std::vector<Member> members;  // active members, longest-standing first
  std::optional<Message> last_message;
  std::int64_t unread_count = 0;
  Micros created_at = 0;
  Micros updated_at = 0;
  bool read_only = false;  // a cancelled booking's room
};

// {id, name, type, bookingId, members, lastMessage, unreadCount, createdAt, updatedAt, readOnly}
nlohmann::json to_json(const Room& room);

}  // namespace parkchat::chat
