#include "daemon/service/requests.hpp"

#include <algorithm>

#include "core/base/utf8.hpp"
#include "core/base/uuid.hpp"
#include "core/chat/room.hpp"
#include "core/chat/text.hpp"
#include "core/proto/fields.hpp"

namespace parkchat::service {
namespace {

using proto::Field;

// Names given either as an array parallel to the ids or as an object {"5": "Kim"}.
Result<std::vector<store::NewMember>> with_names(const std::vector<std::int64_t>& ids, const nlohmann::json* names,
                                                 const char* field) {
  std::vector<store::NewMember> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] <= 0) return fail(Errc::validation, "user ids must be positive integers");
    std::string name;
    if (names != nullptr && names->is_array() && i < names->size() && (*names)[i].is_string()) {
      name = (*names)[i].get<std::string>();
    } else if (names != nullptr && names->is_object()) {
      auto it = names->find(std::to_string(ids[i]));
      if (it != names->end() && it->is_string()) name = it->get<std::string>();
    } else if (names != nullptr && !names->is_array() && !names->is_object()) {
      return fail(Errc::validation, std::string(field) + " must be an array or an object");
    }
    if (auto valid = chat::check_stored_text(field, name, chat::kMaxNameChars); !valid) return tl::unexpected(valid.error());
    out.push_back({ids[i], name});
  }
  return out;
}

}  // namespace

Result<std::int64_t> user_id(const nlohmann::json& payload, const char* camel, const char* snake) {
  auto id = proto::require_int(payload, {camel, snake});
  if (!id) return id;
  if (*id <= 0) return fail(Errc::validation, std::string(camel) + " must be a positive integer");
  return id;
}

Result<std::string> room_id(const nlohmann::json& payload) {
  const nlohmann::json* value = proto::find(payload, {"roomId", "room_id"});
  if (value == nullptr) return fail(Errc::validation, "roomId is required");
  if (!value->is_string() || !is_uuid(value->get<std::string>())) return fail(Errc::not_found, "room not found");
  return canonical_uuid(value->get<std::string>());
}

Result<store::CreateRoom> create_room_request(const nlohmann::json& payload) {
  store::CreateRoom request;
  auto type_text = proto::require_string(payload, {"type"});
  if (!type_text) return tl::unexpected(type_text.error());
  auto type = chat::parse_room_type(*type_text);
  if (!type) return fail(Errc::validation, "type must be DIRECT, GROUP or BOOKING");
  request.type = *type;

  auto name = proto::optional_string(payload, {"name"});
  if (!name) return tl::unexpected(name.error());
  if (*name) {
    if (auto valid = chat::check_stored_text("name", **name, chat::kMaxNameChars); !valid) return tl::unexpected(valid.error());
  }
  request.name = *name;

  Field members_field{"memberIds", "member_ids"};
  if (proto::find(payload, members_field) == nullptr) members_field = {"participantIds", "participant_ids"};
  auto ids = proto::require_int_list(payload, members_field);
  if (!ids) return tl::unexpected(ids.error());
  auto members = with_names(*ids, proto::find(payload, {"memberNames", "member_names"}), "memberNames");
  if (!members) return tl::unexpected(members.error());

  auto creator = proto::optional_int(payload, {"userId", "user_id"});
  if (!creator) return tl::unexpected(creator.error());
  auto creator_name = proto::optional_string(payload, {"userName", "user_name"});
  if (!creator_name) return tl::unexpected(creator_name.error());
  if (*creator_name) {
    if (auto valid = chat::check_stored_text("userName", **creator_name, chat::kMaxNameChars); !valid) {
      return tl::unexpected(valid.error());
    }
  }
  if (*creator) {
    if (**creator <= 0) return fail(Errc::validation, "userId must be a positive integer");
    request.creator = {**creator, creator_name->value_or("")};
    for (const auto& m : *members) {
      if (m.user_id == **creator && request.creator.user_name.empty()) request.creator.user_name = m.user_name;
    }
    request.others = *members;
  } else {
    if (members->empty()) return fail(Errc::validation, "memberIds is empty and no userId is given");
    request.creator = members->front();
    request.others.assign(members->begin() + 1, members->end());
  }
  // BOOKING rooms belong to bookings: made by booking events, or by the booking system with a
  // service token (asService, set by the API from the token, never from a body). Refused before
  // any lookup, so the answer tells nothing about whether the booking has a room.
  const nlohmann::json* as_service = proto::find(payload, {"asService"});
  if (request.type == chat::RoomType::booking && !(as_service != nullptr && as_service->is_boolean() && as_service->get<bool>())) {
    return fail(Errc::forbidden, "BOOKING rooms are made by the booking system");
  }
  auto booking = proto::optional_int(payload, {"bookingId", "booking_id"});
  if (!booking) return tl::unexpected(booking.error());
  request.booking_id = *booking;
  if (request.type == chat::RoomType::booking && !request.booking_id) {
    return fail(Errc::validation, "a BOOKING room needs bookingId");
  }
  if (request.type != chat::RoomType::booking && request.booking_id) {
    return fail(Errc::validation, "bookingId is for BOOKING rooms only");
  }
  return request;
}

Result<AddMembersRequest> add_members_request(const nlohmann::json& payload) {
  AddMembersRequest request;
  auto room = room_id(payload);
  if (!room) return tl::unexpected(room.error());
  auto actor = user_id(payload);
  if (!actor) return tl::unexpected(actor.error());
  auto ids = proto::require_int_list(payload, {"userIds", "user_ids"});
  if (!ids) return tl::unexpected(ids.error());
  if (ids->empty()) return fail(Errc::validation, "userIds is empty");
  auto users = with_names(*ids, proto::find(payload, {"userNames", "user_names"}), "userNames");
  if (!users) return tl::unexpected(users.error());
  request.room_id = *room;
  request.actor = *actor;
  request.users = std::move(*users);
  return request;
}

Result<chat::Message> save_message_request(const nlohmann::json& payload, Micros now) {
  chat::Message m;
  auto room = room_id(payload);
  if (!room) return tl::unexpected(room.error());
  auto sender = user_id(payload, "senderId", "sender_id");
  if (!sender) return tl::unexpected(sender.error());
  auto sender_name = proto::optional_string(payload, {"senderName", "sender_name"});
  if (!sender_name) return tl::unexpected(sender_name.error());
  auto id = proto::optional_string(payload, {"id"});
  if (!id) return tl::unexpected(id.error());
  if (*id && !is_uuid(**id)) return fail(Errc::validation, "id must be a UUID");
  auto content = proto::require_string(payload, {"content"});
  if (!content) return tl::unexpected(content.error());
  Field type_field{"type"};
  if (proto::find(payload, type_field) == nullptr) type_field = {"messageType", "message_type"};
  auto type_text = proto::optional_string(payload, type_field);
  if (!type_text) return tl::unexpected(type_text.error());
  auto type = chat::parse_message_type(type_text->value_or("TEXT"));
  if (!type) return fail(Errc::validation, "type must be TEXT or IMAGE");
  if (auto valid = chat::validate_client_content(*type, *content); !valid) return tl::unexpected(valid.error());

  m.id = *id ? canonical_uuid(**id) : new_uuid();
  m.room_id = *room;
  m.sender_id = *sender;
  m.sender_name = sender_name->value_or("");
  m.content = std::move(*content);
  m.type = *type;
  m.created_at = now;
  return m;
}

Result<ListMessagesRequest> list_messages_request(const nlohmann::json& payload) {
  ListMessagesRequest request;
  auto room = room_id(payload);
  if (!room) return tl::unexpected(room.error());
  auto user = user_id(payload);
  if (!user) return tl::unexpected(user.error());
  auto limit = proto::optional_int(payload, {"limit"});
  if (!limit) return tl::unexpected(limit.error());
  auto cursor = proto::optional_string(payload, {"cursor"});
  if (!cursor) return tl::unexpected(cursor.error());
  request.room_id = *room;
  request.user = *user;
  request.limit = static_cast<int>(std::clamp<std::int64_t>(limit->value_or(50), 1, 100));
  if (*cursor && !(*cursor)->empty()) {
    request.cursor = chat::decode_cursor(**cursor);
    if (!request.cursor) return fail(Errc::validation, "cursor is not one this server gave out");
  }
  return request;
}

Result<BookingEvent> booking_event(const nlohmann::json& payload) {
  BookingEvent event;
  auto booking = proto::require_int(payload, {"bookingId", "booking_id"});
  if (!booking) return tl::unexpected(booking.error());
  auto name = proto::optional_string(payload, {"name"});
  if (!name) return tl::unexpected(name.error());
  if (*name) {
    if (auto valid = chat::check_stored_text("name", **name, chat::kMaxNameChars); !valid) return tl::unexpected(valid.error());
  }
  const nlohmann::json* participants = proto::find(payload, {"participants"});
  if (participants != nullptr && !participants->is_array()) {
    return fail(Errc::validation, "participants must be an array of {userId, userName}");
  }
  if (participants != nullptr) {
    for (const auto& p : *participants) {
      auto id = user_id(p);
      if (!id) return tl::unexpected(id.error());
      auto user_name = proto::optional_string(p, {"userName", "user_name"});
      if (!user_name) return tl::unexpected(user_name.error());
      if (*user_name) {
        if (auto valid = chat::check_stored_text("userName", **user_name, chat::kMaxNameChars); !valid) {
          return tl::unexpected(valid.error());
        }
      }
      event.participants.push_back({*id, user_name->value_or("")});
    }
  }
  event.booking_id = *booking;
  event.name = *name;
  return event;
}

}  // namespace parkchat::service
