#include "core/sim/scenario.hpp"

#include <set>

#include "core/auth/token.hpp"

namespace parkchat::sim {

std::optional<std::chrono::milliseconds> parse_span(const std::string& text) {
  if (text.size() > 2 && text.compare(text.size() - 2, 2, "ms") == 0) {
    const std::string digits = text.substr(0, text.size() - 2);
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) return std::nullopt;
    return std::chrono::milliseconds(std::stoll(digits));
  }
  auto seconds = auth::parse_duration(text);
  if (!seconds) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(*seconds);
}

Result<Scenario> parse_scenario(const nlohmann::json& json) {
  if (!json.is_object()) return fail(Errc::validation, "a scenario is a JSON object");
  static const std::set<std::string> kKnown = {"name", "description", "clients", "roomSize", "roomType", "rampUp",
                                               "duration", "ratePerClient", "messageBytes", "typingShare", "thinkTime",
                                               "restShare", "reconnectEvery", "rejoinEvery", "storms", "stormShare"};
  for (const auto& [key, value] : json.items()) {
    if (kKnown.count(key) == 0) return fail(Errc::validation, "unknown scenario field '" + key + "'");
  }
  Scenario s;
  s.name = json.value("name", "unnamed");
  auto integer = [&](const char* field, int& out, int low, int high) -> Result<void> {
    if (!json.contains(field)) return {};
    if (!json[field].is_number_integer() || json[field].get<long long>() < low || json[field].get<long long>() > high) {
      return fail(Errc::validation, std::string(field) + " must be an integer from " + std::to_string(low) + " to " + std::to_string(high));
    }
    out = json[field].get<int>();
    return {};
  };
  auto number = [&](const char* field, double& out, double low, double high) -> Result<void> {
    if (!json.contains(field)) return {};
    if (!json[field].is_number() || json[field].get<double>() < low || json[field].get<double>() > high) {
      return fail(Errc::validation, std::string(field) + " must be a number from " + std::to_string(low) + " to " + std::to_string(high));
    }
    out = json[field].get<double>();
    return {};
  };
  auto span = [&](const char* field, std::chrono::milliseconds& out) -> Result<void> {
    if (!json.contains(field)) return {};
    auto parsed = json[field].is_string() ? parse_span(json[field].get<std::string>()) : std::nullopt;
    if (!parsed) return fail(Errc::validation, std::string(field) + " must be a duration such as \"30s\" or \"5m\"");
    out = *parsed;
    return {};
  };
  for (auto checked : {integer("clients", s.clients, 1, 1'000'000), integer("roomSize", s.room_size, 2, 10'000),
                       integer("messageBytes", s.message_bytes, 32, 4000), span("rampUp", s.ramp_up),
                       span("duration", s.duration), number("ratePerClient", s.rate, 0, 20),
                       number("typingShare", s.typing_share, 0, 1), number("restShare", s.rest_share, 0, 1),
                       span("reconnectEvery", s.reconnect_every), span("rejoinEvery", s.rejoin_every),
                       integer("storms", s.storms, 0, 100), number("stormShare", s.storm_share, 0, 1)}) {
    if (!checked) return tl::unexpected(checked.error());
  }
  s.room_type = json.value("roomType", "GROUP");
  if (s.room_type != "GROUP" && s.room_type != "BOOKING") return fail(Errc::validation, "roomType must be GROUP or BOOKING");
  s.think_time = json.value("thinkTime", "exponential");
  if (s.think_time != "exponential" && s.think_time != "uniform") {
    return fail(Errc::validation, "thinkTime must be exponential or uniform");
  }
  return s;
}

}  // namespace parkchat::sim
