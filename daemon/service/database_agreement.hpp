#pragma once
// The services of the chat-service group must share one database: each announces the identity
// of its own (store::DatabaseIdentity) every second on chat.service.database, and follows the
// others' announcements. While any service heard within the last few seconds names another
// database, this one closes its ServiceGate, naming both, so that no request is answered from
// the wrong history and no message stored in it; once the odd one is stopped (its announcements
// end, or it says it leaves) or fixed, the gate opens again.

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/bus/nats_client.hpp"
#include "core/store/database_identity.hpp"
#include "daemon/service/service_gate.hpp"

namespace parkchat::service {

inline constexpr const char* kDatabaseSubject = "chat.service.database";

class DatabaseAgreement {
 public:
  // `nats` and `gate` must outlive the agreement.
  DatabaseAgreement(bus::NatsClient& nats, store::DatabaseIdentity identity, ServiceGate& gate,
                    std::chrono::milliseconds period = std::chrono::seconds(1),
                    std::chrono::milliseconds listening = std::chrono::milliseconds(300));
  ~DatabaseAgreement();

  // Announces this service and follows the others, and returns after listening for a moment
  // (every service answers a newcomer's first announcement with its own at once): a service
  // started on the wrong database hears the others before it serves anything.
  Result<void> start();
  // Says that this service leaves, so the others need not wait for its announcements to end.
  void stop();

  // A peer's announcement (its JSON): what start() feeds from NATS; public for tests.
  void heard(std::string_view announcement, std::chrono::steady_clock::time_point at);
  // Recomputes the gate from the peers heard within their expiry, as of `now`.
  void judge(std::chrono::steady_clock::time_point now);
  // This service's announcement (`leaving`: its last).
  std::string announcement(bool leaving) const;

 private:
  struct Peer {
    std::string database_id;
    std::string where;
    std::chrono::steady_clock::time_point last_heard;
  };
  void announce_loop();

  bus::NatsClient& nats_;
  const store::DatabaseIdentity identity_;
  const std::string service_id_;
  ServiceGate& gate_;
  const std::chrono::milliseconds period_;
  const std::chrono::milliseconds listening_;
  std::chrono::steady_clock::time_point listening_since_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool announce_now_ = false;  // a newcomer was heard: it wants our announcement
  bool listened_ = false;      // the listening after start is over
  std::map<std::string, Peer> peers_;  // by service id
  std::optional<bus::Subscription> subscription_;
  std::thread announcer_;
};

}  // namespace parkchat::service
