#include "daemon/api/rest_routes.hpp"

#include <vector>

#include "core/chat/room.hpp"
#include "daemon/web/query_string.hpp"

namespace parkchat::api {
namespace {

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < path.size()) {
    if (path[at] == '/') {
      ++at;
      continue;
    }
    auto next = path.find('/', at);
    out.push_back(path.substr(at, next == std::string::npos ? std::string::npos : next - at));
    at = next == std::string::npos ? path.size() : next;
  }
  return out;
}

// Copies the listed body fields (either spelling) into the payload.
void copy_fields(const nlohmann::json& body, nlohmann::json& payload, std::initializer_list<const char*> fields) {
  if (!body.is_object()) return;
  for (const char* field : fields) {
    auto it = body.find(field);
    if (it != body.end()) payload[field] = *it;
  }
}

ServiceCall call(std::string route, std::string subject, nlohmann::json payload, int status = 200) {
  return ServiceCall{std::move(route), std::move(subject), std::move(payload), status};
}

}  // namespace

bool is_api_path(std::string_view path) {
  const std::string_view prefix(kPrefix);
  return path.substr(0, prefix.size()) == prefix && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

Result<ServiceCall> route(const std::string& method, const std::string& path, const std::string& query,
                          const nlohmann::json& body, const auth::Identity& caller) {
  const auto s = segments(path);
  const nlohmann::json who = {{"userId", caller.user_id}};
  auto with_user = [&](nlohmann::json payload) {
    payload["userId"] = caller.user_id;
    return payload;
  };

  // A service token (the booking system) is no chat user: it creates BOOKING rooms, nothing else.
  const bool creates_room = s.size() == 1 && s[0] == "rooms" && method == "POST";
  if (caller.service && !creates_room) return fail(Errc::forbidden, "a service token only creates BOOKING rooms");

  if (s.size() == 1 && s[0] == "unread-count" && method == "GET") {
    return call("GET /unread-count", "chat.messages.unreadCount", who);
  }
  if (s.empty() || s[0] != "rooms") return fail(Errc::not_found, "no route " + method + " " + kPrefix + path);

  if (s.size() == 1) {
    if (method == "GET") return call("GET /rooms", "chat.rooms.list", who);
    if (method == "POST") {
      nlohmann::json payload;
      copy_fields(body, payload, {"type", "name", "participant_ids", "participantIds", "member_names", "memberNames",
                                  "booking_id", "bookingId"});
      if (caller.service) {
        const auto type = body.find("type");
        if (type == body.end() || !type->is_string() || chat::parse_room_type(type->get<std::string>()) != chat::RoomType::booking) {
          return fail(Errc::forbidden, "a service token only creates BOOKING rooms");
        }
        payload["asService"] = true;  // members only: the service is none of them
      } else {
        payload["userId"] = caller.user_id;
        payload["userName"] = caller.name;
      }
      return call("POST /rooms", "chat.rooms.create", std::move(payload), 201);
    }
  } else {
    const nlohmann::json room = {{"roomId", s[1]}};
    if (s.size() == 2 && method == "GET") return call("GET /rooms/:id", "chat.rooms.get", with_user(room));
    if (s.size() == 3 && s[2] == "leave" && method == "DELETE") {
      return call("DELETE /rooms/:id/leave", "chat.rooms.removeMember", with_user(room));
    }
    if (s.size() == 3 && s[2] == "members" && method == "POST") {
      nlohmann::json payload = with_user(room);
      copy_fields(body, payload, {"user_ids", "userIds", "user_names", "userNames"});
      return call("POST /rooms/:id/members", "chat.rooms.addMembers", std::move(payload));
    }
    if (s.size() == 4 && s[2] == "members" && method == "DELETE") {
      nlohmann::json payload = with_user(room);
      payload["targetUserId"] = s[3];
      return call("DELETE /rooms/:id/members/:userId", "chat.rooms.removeMember", std::move(payload));
    }
    if (s.size() == 3 && s[2] == "messages" && method == "GET") {
      nlohmann::json payload = with_user(room);
      const auto q = web::parse_query(query);
      if (auto limit = q.find("limit"); limit != q.end()) {
        if (limit->second.empty() || limit->second.size() > 3 ||
            limit->second.find_first_not_of("0123456789") != std::string::npos || std::stoi(limit->second) < 1 ||
            std::stoi(limit->second) > 100) {
          return fail(Errc::validation, "limit must be a number from 1 to 100");
        }
        payload["limit"] = std::stoi(limit->second);
      }
      if (auto cursor = q.find("cursor"); cursor != q.end() && !cursor->second.empty()) payload["cursor"] = cursor->second;
      return call("GET /rooms/:id/messages", "chat.messages.list", std::move(payload));
    }
    if (s.size() == 3 && s[2] == "messages" && method == "POST") {
      nlohmann::json payload = room;
      copy_fields(body, payload, {"id", "content", "message_type", "messageType", "type"});
      payload["senderId"] = caller.user_id;
      payload["senderName"] = caller.name;
      return call("POST /rooms/:id/messages", "chat.messages.save", std::move(payload), 201);
    }
    if (s.size() == 3 && s[2] == "read" && method == "POST") {
      nlohmann::json payload = with_user(room);
      copy_fields(body, payload, {"messageId", "message_id"});
      return call("POST /rooms/:id/read", "chat.messages.markRead", std::move(payload));
    }
  }
  return fail(Errc::not_found, "no route " + method + " " + kPrefix + path);
}

}  // namespace parkchat::api
