#include "daemon/notify/presence_tracker.hpp"

#include "core/proto/fields.hpp"

namespace parkchat::notify {

bool PresenceTracker::apply(const nlohmann::json& event) {
  auto user = proto::require_int(event, {"userId", "user_id"});
  auto status = proto::require_string(event, {"status"});
  auto gateway = proto::optional_string(event, {"gatewayId", "gateway_id"});
  if (!user || !status || !gateway || (*status != "online" && *status != "offline")) return false;
  std::lock_guard lock(mutex_);
  auto& gateways = gateways_by_user_[*user];
  if (*status == "online") {
    gateways.insert(gateway->value_or(""));
  } else {
    gateways.erase(gateway->value_or(""));
    if (gateways.empty()) gateways_by_user_.erase(*user);
  }
  return true;
}

bool PresenceTracker::online(std::int64_t user) const {
  std::lock_guard lock(mutex_);
  return gateways_by_user_.count(user) != 0;
}

std::set<std::string> PresenceTracker::gateways_of(std::int64_t user) const {
  std::lock_guard lock(mutex_);
  auto it = gateways_by_user_.find(user);
  return it == gateways_by_user_.end() ? std::set<std::string>{} : it->second;
}

}  // namespace parkchat::notify
