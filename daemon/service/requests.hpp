#pragma once
// Parsing the request payloads of CONTRACT §5 into what the store needs. Pure: every rule about
// a malformed payload lives here, and answers VALIDATION (or NOT_FOUND for a malformed room id,
// so that room ids cannot be probed).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/error.hpp"
#include "core/chat/cursor.hpp"
#include "core/chat/message.hpp"
#include "core/store/room_repository.hpp"

namespace parkchat::service {

// A positive user id under `field`.
Result<std::int64_t> user_id(const nlohmann::json& payload, const char* camel = "userId", const char* snake = "user_id");
// A room id; a missing one is VALIDATION, a malformed one NOT_FOUND.
Result<std::string> room_id(const nlohmann::json& payload);

// chat.rooms.create: {type, name?, userId?, userName?, memberIds | participantIds, memberNames?, bookingId?}.
// The creator is userId, else the first of memberIds.
Result<store::CreateRoom> create_room_request(const nlohmann::json& payload);

// chat.rooms.addMembers: {roomId, userId, userIds, userNames?}.
struct AddMembersRequest {
  std::string room_id;
  std::int64_t actor = 0;
  std::vector<store::NewMember> users;
};
Result<AddMembersRequest> add_members_request(const nlohmann::json& payload);

// chat.messages.save: {id?, roomId, senderId, senderName?, content, type | messageType}. A new
// id when none is given; createdAt is `now`.
Result<chat::Message> save_message_request(const nlohmann::json& payload, Micros now);

// chat.messages.list: {roomId, userId, limit?, cursor?}.
struct ListMessagesRequest {
  std::string room_id;
  std::int64_t user = 0;
  int limit = 50;
  std::optional<chat::Cursor> cursor;
};
Result<ListMessagesRequest> list_messages_request(const nlohmann::json& payload);

// booking.created / booking.updated / booking.cancelled: {bookingId, name?, participants:[{userId, userName}]}.
struct BookingEvent {
  std::int64_t booking_id = 0;
  std::optional<std::string> name;
  std::vector<store::NewMember> participants;
};
Result<BookingEvent> booking_event(const nlohmann::json& payload);

}  // namespace parkchat::service
