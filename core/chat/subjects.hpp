#pragma once
// The NATS subjects of a room and a user (CONTRACT §5), and the gateway's own within them.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/chat/room.hpp"

namespace parkchat::chat {

// A room's messages: chat.dm.{id}.message for DIRECT rooms, chat.room.{id}.message otherwise.
std::string message_subject(RoomType type, std::string_view room_id);
// chat.room.{id}.typing
std::string typing_subject(std::string_view room_id);
// chat.room.{id}.members: {roomId, memberIds} after a membership change.
std::string members_subject(std::string_view room_id);
// chat.room.{id}.joined and .left: a user's socket entered or left the room on some gateway.
std::string joined_subject(std::string_view room_id);
std::string left_subject(std::string_view room_id);
// chat.*.{id}.*: everything above for one room, in one subscription.
std::string room_wildcard(std::string_view room_id);
// chat.user.{id}.presence
std::string presence_subject(std::int64_t user_id);

// The last token of a subject ("message" of chat.room.x.message).
std::string_view subject_kind(std::string_view subject);

}  // namespace parkchat::chat
