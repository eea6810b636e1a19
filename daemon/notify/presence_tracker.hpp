#pragma once
// Who has an online socket, and on which gateway process. Two sources:
// - presence events on chat.user.*.presence ({userId, status, at, gatewayId?}): what changed;
// - each gateway's list of its online users on chat.gateway.*.online ({gatewayId, at, userIds,
//   part, parts}; core/chat/subjects.hpp): the whole, every few seconds and when asked.
// The two arrive on different subscriptions, so either may overtake the other; `at` (the
// gateway's clock, taken under the lock that orders its announcements) decides: a list replaces
// what is older than it, and an event older than the last list is already in it.
// A gateway heard of neither way for `gateway_silence` is forgotten with its users (a process
// killed without saying they left). An event without gatewayId counts as one anonymous gateway,
// which sends no lists and is never forgotten.
// Thread-safe: events arrive on nats.c threads, questions come from the notifier's thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace parkchat::notify {

class PresenceTracker {
 public:
  using Clock = std::chrono::steady_clock;
  explicit PresenceTracker(std::chrono::milliseconds gateway_silence = std::chrono::seconds(35))
      : gateway_silence_(gateway_silence) {}

  // Applies one presence event; malformed events are ignored (false).
  bool apply(const nlohmann::json& event, Clock::time_point now = Clock::now());
  // Applies one part of a gateway's list (the list, once its last part is in); malformed or out
  // of turn: false.
  bool apply_list(const nlohmann::json& part, Clock::time_point now = Clock::now());
  // Forgets the gateways not heard of for longer than `gateway_silence`.
  void forget_silent(Clock::time_point now = Clock::now());

  bool online(std::int64_t user) const;
  // The gateway processes that say `user` is online there ("" for an anonymous gateway).
  std::set<std::string> gateways_of(std::int64_t user) const;

 private:
  struct Seen {
    bool online = false;
    std::int64_t at = 0;  // µs, the gateway's clock
  };
  struct Gateway {
    Clock::time_point heard;
    std::int64_t listed_at = 0;  // `at` of the last whole list applied
    std::unordered_map<std::int64_t, Seen> users;
    // A list coming in parts.
    std::int64_t partial_at = 0;
    std::int64_t partial_parts = 0;
    std::vector<std::int64_t> partial_users;
  };
  void apply_whole_list(Gateway& gateway, std::int64_t at, const std::vector<std::int64_t>& listed);

  const std::chrono::milliseconds gateway_silence_;
  mutable std::mutex mutex_;
  std::map<std::string, Gateway> gateways_;
};

}  // namespace parkchat::notify
