#include "daemon/notify/presence_tracker.hpp"

#include <algorithm>
#include <unordered_set>

#include "core/base/clock.hpp"
#include "core/proto/fields.hpp"

namespace parkchat::notify {

bool PresenceTracker::apply(const nlohmann::json& event, Clock::time_point now) {
  auto user = proto::require_int(event, {"userId", "user_id"});
  auto status = proto::require_string(event, {"status"});
  auto gateway_id = proto::optional_string(event, {"gatewayId", "gateway_id"});
  if (!user || !status || !gateway_id || (*status != "online" && *status != "offline")) return false;
  const auto at = parse_iso8601(event.value("at", ""));
  std::lock_guard lock(mutex_);
  Gateway& gateway = gateways_[gateway_id->value_or("")];
  gateway.heard = now;
  Seen& seen = gateway.users[*user];
  if (!at) {  // without a time: the latest word, until a newer list
    seen = {*status == "online", std::max(seen.at, gateway.listed_at)};
    return true;
  }
  // Older than the last list, it is in the list already; older than the last event, it was
  // overtaken by it.
  if (*at >= gateway.listed_at && *at >= seen.at) seen = {*status == "online", *at};
  return true;
}

bool PresenceTracker::apply_list(const nlohmann::json& part, Clock::time_point now) {
  auto gateway_id = proto::require_string(part, {"gatewayId"});
  auto part_number = proto::require_int(part, {"part"});
  auto parts = proto::require_int(part, {"parts"});
  const auto at = parse_iso8601(part.value("at", ""));
  if (!gateway_id || gateway_id->empty() || !part_number || !parts || !at || !part.contains("userIds") ||
      !part["userIds"].is_array() || *part_number < 1 || *part_number > *parts) {
    return false;
  }
  std::lock_guard lock(mutex_);
  Gateway& gateway = gateways_[*gateway_id];
  gateway.heard = now;
  if (*at <= gateway.listed_at) return false;  // older than what is applied
  if (*part_number == 1) {
    gateway.partial_at = *at;
    gateway.partial_parts = 0;
    gateway.partial_users.clear();
  }
  if (gateway.partial_at != *at || gateway.partial_parts + 1 != *part_number) return false;  // a part went missing
  for (const auto& user : part["userIds"]) {
    if (user.is_number_integer()) gateway.partial_users.push_back(user.get<std::int64_t>());
  }
  gateway.partial_parts = *part_number;
  if (*part_number < *parts) return true;
  apply_whole_list(gateway, *at, gateway.partial_users);
  gateway.partial_users.clear();
  gateway.partial_parts = 0;
  return true;
}

void PresenceTracker::apply_whole_list(Gateway& gateway, std::int64_t at, const std::vector<std::int64_t>& listed) {
  const std::unordered_set<std::int64_t> listed_set(listed.begin(), listed.end());
  for (auto it = gateway.users.begin(); it != gateway.users.end();) {
    if (it->second.at >= at) {
      ++it;  // an event newer than the list
    } else if (listed_set.count(it->first) != 0) {
      it->second = {true, at};
      ++it;
    } else {
      it = gateway.users.erase(it);
    }
  }
  for (std::int64_t user : listed) gateway.users.try_emplace(user, Seen{true, at});
  gateway.listed_at = at;
}

void PresenceTracker::forget_silent(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  for (auto it = gateways_.begin(); it != gateways_.end();) {
    const bool silent = !it->first.empty() && now - it->second.heard > gateway_silence_;
    it = silent ? gateways_.erase(it) : std::next(it);
  }
}

bool PresenceTracker::online(std::int64_t user) const {
  std::lock_guard lock(mutex_);
  for (const auto& [id, gateway] : gateways_) {
    auto it = gateway.users.find(user);
    if (it != gateway.users.end() && it->second.online) return true;
  }
  return false;
}

std::set<std::string> PresenceTracker::gateways_of(std::int64_t user) const {
  std::lock_guard lock(mutex_);
  std::set<std::string> out;
  for (const auto& [id, gateway] : gateways_) {
    auto it = gateway.users.find(user);
    if (it != gateway.users.end() && it->second.online) out.insert(id);
  }
  return out;
}

}  // namespace parkchat::notify
