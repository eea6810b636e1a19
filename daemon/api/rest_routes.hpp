#pragma once
// The REST routes of CONTRACT §3, each the NATS request it stands for. Pure: the user comes from
// the verified token only, never from the body or the path.

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/auth/token.hpp"
#include "core/base/error.hpp"

namespace parkchat::api {

inline constexpr const char* kPrefix = "/api/user/chat";

// Whether `path` is the REST API's: kPrefix itself or below it (`/api/user/chatrooms` is not).
bool is_api_path(std::string_view path);

struct ServiceCall {
  std::string route;    // for metrics, e.g. "GET /rooms/:id"
  std::string subject;  // e.g. chat.rooms.get
  nlohmann::json payload;
  int success_status = 200;
};

// The call for `method path` (path below kPrefix, e.g. "/rooms/abc/messages"); NOT_FOUND for an
// unknown route, VALIDATION for a bad query.
Result<ServiceCall> route(const std::string& method, const std::string& path, const std::string& query,
                          const nlohmann::json& body, const auth::Identity& caller);

}  // namespace parkchat::api
