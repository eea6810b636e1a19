#pragma once
// The reply envelope of CONTRACT §3, shared by REST responses and NATS replies:
// {"success":true,"data":...} or {"success":false,"error":{"code":"...","message":"..."}}.

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/base/error.hpp"

namespace parkchat::proto {

nlohmann::json ok_envelope(nlohmann::json data);
nlohmann::json error_envelope(const Error& error);

// The data of a success envelope, or its error; a malformed envelope is INTERNAL.
Result<nlohmann::json> open_envelope(const nlohmann::json& envelope);

// "NOT_FOUND" -> Errc::not_found; nullopt for an unknown code.
std::optional<Errc> parse_code(std::string_view name);

}  // namespace parkchat::proto
