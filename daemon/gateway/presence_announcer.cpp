#include "daemon/gateway/presence_announcer.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/base/clock.hpp"
#include "core/chat/subjects.hpp"
#include "core/obs/log.hpp"

namespace parkchat::gateway {

PresenceAnnouncer::PresenceAnnouncer(bus::NatsClient& nats, const UserDirectory& users, std::string gateway_id,
                                     std::chrono::milliseconds every)
    : nats_(nats), users_(users), gateway_id_(std::move(gateway_id)), every_(every) {}

PresenceAnnouncer::~PresenceAnnouncer() {
  if (sync_) sync_->close();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<void> PresenceAnnouncer::start() {
  auto sub = nats_.subscribe(chat::kPresenceSyncSubject, "", [this](bus::MsgPtr) { announce(); });
  if (!sub) return tl::unexpected(sub.error());
  sync_.emplace(std::move(*sub));
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, every_, [&] { return stopping_; })) {
      lock.unlock();
      announce();
      lock.lock();
    }
  });
  return {};
}

void PresenceAnnouncer::announce() {
  std::lock_guard one_at_a_time(announcing_);
  std::int64_t at = 0;
  const std::vector<std::int64_t> users = users_.online_users([&] { at = now_micros(); });
  const std::size_t parts = std::max<std::size_t>(1, (users.size() + chat::kOnlineListPart - 1) / chat::kOnlineListPart);
  nlohmann::json list = {{"gatewayId", gateway_id_}, {"at", format_iso8601(at)}, {"parts", parts}};
  const std::string subject = chat::gateway_online_subject(gateway_id_);
  for (std::size_t part = 0; part < parts; ++part) {
    const auto first = users.begin() + static_cast<std::ptrdiff_t>(std::min(users.size(), part * chat::kOnlineListPart));
    const auto last = users.begin() + static_cast<std::ptrdiff_t>(std::min(users.size(), (part + 1) * chat::kOnlineListPart));
    list["part"] = part + 1;
    list["userIds"] = std::vector<std::int64_t>(first, last);
    if (auto published = nats_.publish(subject, list.dump()); !published) {
      obs::logger("gateway")->warn("online list not published err={}", published.error().message);
      return;
    }
  }
}

}  // namespace parkchat::gateway
