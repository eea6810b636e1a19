#pragma once
// Who has an online socket, from the presence events gateways publish on chat.user.*.presence
// ({userId, status, at, gatewayId?}). A user is online while any gateway says so; an event
// without gatewayId counts as one anonymous gateway. Thread-safe: events arrive on a nats.c
// thread, questions come from the notifier's thread.

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace parkchat::notify {

class PresenceTracker {
 public:
  // Applies one presence event; malformed events are ignored (false).
  bool apply(const nlohmann::json& event);
  bool online(std::int64_t user) const;
  // The gateway processes that say `user` is online there ("" for an anonymous gateway).
  std::set<std::string> gateways_of(std::int64_t user) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::int64_t, std::set<std::string>> gateways_by_user_;
};

}  // namespace parkchat::notify
