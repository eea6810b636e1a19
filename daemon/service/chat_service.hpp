#pragma once
// The `service` role's request/reply side: every chat.rooms.* and chat.messages.* subject of
// CONTRACT §5 and the booking.* events, in queue group `chat-service`, so that several service
// processes share the load. A request is parsed on the nats.c thread that delivers it and run
// on a database worker; replies are the envelope of CONTRACT §3. Messages that a request writes
// (SYSTEM messages of membership changes, messages saved through chat.messages.save) are
// published on the room's subject after commit, so that gateways deliver them.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bus/nats_client.hpp"
#include "daemon/service/service_gate.hpp"
#include "core/store/database_pool.hpp"

namespace parkchat::service {

inline constexpr const char* kQueueGroup = "chat-service";

class ChatService {
 public:
  // `nats` and `db` must outlive the service.
  // While `gate` (if set) is closed, every request is answered UNAVAILABLE with its reason.
  ChatService(bus::NatsClient& nats, store::DatabasePool& db, const ServiceGate* gate = nullptr)
      : nats_(nats), db_(db), gate_(gate) {}
  ~ChatService() { stop(); }

  Result<void> start();
  // Stops taking requests and waits for those being delivered; queued database jobs still reply.
  void stop();

  std::uint64_t handled() const { return handled_.load(); }

  // What a request produced, and what a handler may use; defined in chat_service.cpp.
  struct Outcome;
  struct Context;

 private:
  using Handler = Outcome (*)(const Context& context, const nlohmann::json& payload);
  void dispatch(Handler handler, bus::MsgPtr msg);
  void publish_messages(const Outcome& outcome);

  bus::NatsClient& nats_;
  store::DatabasePool& db_;
  const ServiceGate* gate_;
  std::vector<bus::Subscription> subscriptions_;
  std::atomic<std::uint64_t> handled_{0};
};

}  // namespace parkchat::service
