#pragma once
// A `parkchat simulate` scenario: who connects, in which rooms, and how much they talk. Read
// from a JSON file (scenarios/*.json, documented in the README); flags override. Pure.

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/base/error.hpp"

namespace parkchat::sim {

struct Scenario {
  std::string name;
  int clients = 50;                        // one user and one socket each
  int room_size = 5;                       // members per room; clients fill rooms in order
  std::string room_type = "GROUP";         // GROUP or BOOKING (created with a booking id)
  std::chrono::milliseconds ramp_up{5000}; // connects spread over this long
  std::chrono::milliseconds duration{30000};
  double rate = 0.5;                       // messages a second per client
  int message_bytes = 64;                  // content length
  double typing_share = 0.0;               // share of sends preceded by a typing event
  std::string think_time = "exponential";  // gaps between sends: exponential or uniform
  double rest_share = 0.0;                 // share of sends through POST /rooms/:id/messages
  // Churn: each client drops its connection and reconnects about this often (0: never) ...
  std::chrono::milliseconds reconnect_every{0};
  // ... leaves its room and joins again about this often (0: never) ...
  std::chrono::milliseconds rejoin_every{0};
  // ... and `storms` times during the run, `storm_share` of all clients reconnect at once.
  int storms = 0;
  double storm_share = 0.0;
};

// Parses a scenario; VALIDATION naming the field for anything out of range or unknown.
Result<Scenario> parse_scenario(const nlohmann::json& json);
// "30s", "5m", "1h", or plain seconds; nullopt otherwise.
std::optional<std::chrono::milliseconds> parse_span(const std::string& text);

}  // namespace parkchat::sim
