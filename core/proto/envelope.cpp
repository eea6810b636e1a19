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
  // Read field by field, with their types checked: json::value() throws on a value of another
  // type, and a reply comes from another process.
  const auto error = envelope.find("error");
  if (error == envelope.end() || !error->is_object()) return fail(Errc::internal, "malformed reply: no error object");
  const auto code = error->find("code");
  const auto message = error->find("message");
  const std::optional<Errc> parsed = code != error->end() && code->is_string() ? parse_code(code->get<std::string>()) : std::nullopt;
  return fail(parsed.value_or(Errc::internal),
              message != error->end() && message->is_string() ? message->get<std::string>() : "unknown error");
}

}  // namespace parkchat::proto
