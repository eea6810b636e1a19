#pragma once
// Says which users have a socket on this gateway process (chat.gateway.{id}.online, see
// core/chat/subjects.hpp): every `every`, and at once when a notifier asks on
// chat.presence.sync. Presence events say what changed; this list lets a notifier that started
// late, or missed events while its NATS link was down, know the whole of it, and lets it forget
// this process's users once the lists stop (a process killed without saying they left).

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/bus/nats_client.hpp"
#include "daemon/gateway/user_directory.hpp"

namespace parkchat::gateway {

class PresenceAnnouncer {
 public:
  // `nats` and `users` must outlive the announcer.
  PresenceAnnouncer(bus::NatsClient& nats, const UserDirectory& users, std::string gateway_id,
                    std::chrono::milliseconds every);
  ~PresenceAnnouncer();

  Result<void> start();

 private:
  void announce();

  bus::NatsClient& nats_;
  const UserDirectory& users_;
  const std::string gateway_id_;
  const std::chrono::milliseconds every_;
  std::optional<bus::Subscription> sync_;
  std::mutex announcing_;  // one list at a time, so that the parts of two do not interleave
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parkchat::gateway
