#include "core/proto/envelope.hpp"

namespace parkchat::proto {

nlohmann::json ok_envelope(nlohmann::json data) { return {{"success", true}, {"data", std::move(data)}}; }

nlohmann::json error_envelope(const Error& error) {
  return {{"success", false}, {"error", {{"code", code_name(error.code)}, {"message", error.message}}}};
}

std::optional<Errc> parse_code(std::string_view name) {
  for (Errc code : {Errc::unauthorized, Errc::forbidden, Errc::not_found, Errc::validation, Errc::conflict,
                    Errc::payload_too_large, Errc::rate_limited, Errc::unavailable, Errc::internal}) {
    if (code_name(code) == name) return code;
  }
  return std::nullopt;
}

Result<nlohmann::json> open_envelope(const nlohmann::json& envelope) {
  if (!envelope.is_object() || !envelope.contains("success") || !envelope["success"].is_boolean()) {
    return fail(Errc::internal, "malformed reply: no success flag");
  }
  if (envelope["success"].get<bool>()) return envelope.value("data", nlohmann::json());
  const auto& error = envelope.value("error", nlohmann::json::object());
  auto code = parse_code(error.value("code", ""));
  return fail(code.value_or(Errc::internal), error.value("message", "unknown error"));
}

}  // namespace parkchat::proto
