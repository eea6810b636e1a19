#pragma once
// The `notify` role: its own durable consumer on CHAT_MESSAGES; for every message, each member
// of the room other than the sender and without an online socket gets
// {userId, roomId, messageId, senderName, preview} on notify.push.{userId}, once; each gateway
// process holding an online member gets one `notification` notice (notify_gateways). Who is
// online comes from the gateways (PresenceTracker). Runs on its
// own thread with its own database connection (one query per fetched batch, not per message).

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>

#include "core/bus/nats_client.hpp"
#include "core/bus/streams.hpp"
#include "core/chat/message.hpp"
#include "core/store/lazy_connection.hpp"
#include "daemon/service/service_gate.hpp"
#include "daemon/notify/presence_tracker.hpp"

namespace parkchat::notify {

class Notifier {
 public:
  // `nats` must outlive the notifier.
  // While `gate` (if set) is closed, nothing is fetched.
  Notifier(bus::NatsClient& nats, std::string database_url, std::string durable = "chat-notify",
           const service::ServiceGate* gate = nullptr);
  ~Notifier();

  Result<void> start();
  void stop();

  std::uint64_t pushed() const { return pushed_.load(); }

 private:
  void run();
  bool notify(std::vector<bus::MsgPtr>& batch);
  // The `notification` of message `m` for the online `members`: one notice per gateway process
  // that holds any of them (chat::gateway_notification_subject).
  void notify_gateways(const chat::Message& m, const std::vector<std::int64_t>& members);
  // Remembers the last ids sent, so a redelivered message is not pushed twice.
  bool first_time(const std::string& message_id);

  bus::NatsClient& nats_;
  std::string durable_;
  const service::ServiceGate* gate_;
  PresenceTracker presence_;
  std::optional<bus::Subscription> presence_sub_;
  std::optional<bus::Subscription> online_lists_sub_;
  std::unique_ptr<bus::PullConsumer> consumer_;
  store::LazyConnection db_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> pushed_{0};
  std::unordered_set<std::string> recent_;
  std::deque<std::string> recent_order_;
};

}  // namespace parkchat::notify
