#pragma once
// The nats.c adapter: one connection (reconnecting by itself after the first connect), its
// JetStream context, subscriptions whose handlers run on nats.c threads, publishes and
// requests. natsStatus becomes an Error here and nowhere else. Thread-safe as nats.c is.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nats/nats.h>

#include "core/base/error.hpp"
#include "core/bus/subscription_reaper.hpp"

namespace parkchat::bus {

struct MsgDeleter {
  void operator()(natsMsg* msg) const { natsMsg_Destroy(msg); }
};
using MsgPtr = std::unique_ptr<natsMsg, MsgDeleter>;

// The payload of a message as a view (valid while the message lives).
std::string_view payload(const natsMsg* msg);
// The subject it was published on, as a view.
std::string_view subject(const natsMsg* msg);
// The value of a header of the message, or an empty view.
std::string_view header(const natsMsg* msg, const char* name);

// Headers to publish with a message.
using Headers = std::vector<std::pair<std::string, std::string>>;

// A stream's answer to a publish. For a duplicate (an id seen within the stream's duplicate
// window) `sequence` is that of the message stored first, which nothing replaced.
struct PublishAck {
  bool duplicate = false;
  std::uint64_t sequence = 0;
};

// An active subscription; unsubscribes when destroyed.
class Subscription {
 public:
  using Handler = std::function<void(MsgPtr msg)>;
  Subscription(natsSubscription* sub, std::unique_ptr<Handler> handler, std::shared_ptr<SubscriptionReaper> reaper);
  Subscription(Subscription&&) noexcept;
  Subscription& operator=(Subscription&&) noexcept;
  ~Subscription();
  // Stops delivery and waits (up to 5 s) until no handler call of this subscription is running.
  void close();
  // Stops delivery without waiting: the handler is freed by nats.c's completion callback once
  // its last call has returned. For threads that must not block, such as an event loop.
  void close_without_waiting();

 private:
  // Unsubscribes and hands the handler to nats.c's completion callback; returns what that
  // callback will signal, or nullptr when the subscription was already closed (nothing runs).
  struct Completion;
  std::shared_ptr<Completion> stop_delivery();

  natsSubscription* sub_ = nullptr;
  std::unique_ptr<Handler> handler_;
  // Frees the natsSubscription once the read loop cannot hold it (see subscription_reaper.hpp).
  std::shared_ptr<SubscriptionReaper> reaper_;
};

class NatsClient {
 public:
  // Connects to `url` (UNAVAILABLE naming the URL when it cannot); afterwards reconnects forever.
  // `shared_delivery`: subscriptions share the library's delivery threads instead of one thread
  // each, for a client with many subscriptions (a gateway's rooms).
  static Result<std::unique_ptr<NatsClient>> connect(const std::string& url, const std::string& name,
                                                     bool shared_delivery = false);
  ~NatsClient();

  natsConnection* connection() const { return conn_; }
  // Where this connection's unsubscribed subscriptions wait to be freed.
  const std::shared_ptr<SubscriptionReaper>& reaper() const { return reaper_; }
  jsCtx* jetstream() const { return js_; }
  // The server URL for messages: credentials redacted.
  const std::string& url() const { return url_; }
  bool connected() const;
  // How often the connection was re-established since it was made.
  std::uint64_t reconnects() const;
  // Times a subscription fell so far behind that nats.c dropped messages of it.
  std::uint64_t slow_consumer_events() const { return slow_consumers_->load(std::memory_order_relaxed); }

  Result<void> publish(const std::string& subject, std::string_view data, const Headers& headers = {});
  // Publishes to JetStream with Nats-Msg-Id = msg_id and waits for the stream's ack.
  Result<PublishAck> publish_durable(const std::string& subject, std::string_view data, const std::string& msg_id,
                               const Headers& headers = {});
  // Request/reply. No responders or NATS down: UNAVAILABLE at once; no reply in time: UNAVAILABLE.
  Result<std::string> request(const std::string& subject, std::string_view data, std::chrono::milliseconds timeout);
  // The same, with the whole reply: its headers too (a JetStream direct get's Nats-Sequence).
  Result<MsgPtr> request_message(const std::string& subject, std::string_view data, std::chrono::milliseconds timeout);
  // Calls `listener(false)` when the connection is lost and `listener(true)` when it is back
  // (its subscriptions live again), on a nats.c thread: it must not block. Until
  // forget_connection_listener(the id returned).
  std::uint64_t on_connection_change(std::function<void(bool connected)> listener);
  void forget_connection_listener(std::uint64_t id);
  struct ConnectionListeners;  // (the connection callbacks')
  // Subscribes (in queue group `queue` unless empty); `handler` runs on a nats.c thread.
  Result<Subscription> subscribe(const std::string& subject, const std::string& queue, Subscription::Handler handler);
  // Sends `data` to the reply subject of `msg`, if it has one.
  void respond(const natsMsg* msg, std::string_view data);
  // Sends everything buffered and waits for the server to have it.
  Result<void> flush(std::chrono::milliseconds timeout);

 private:
  NatsClient(natsConnection* conn, jsCtx* js, std::string url)
      : conn_(conn), js_(js), url_(std::move(url)), reaper_(std::make_shared<SubscriptionReaper>(conn)) {}
  natsConnection* conn_;
  jsCtx* js_;
  std::string url_;
  std::shared_ptr<SubscriptionReaper> reaper_;
  // Written by the error handler, which the connection calls until it is destroyed.
  std::unique_ptr<std::atomic<std::uint64_t>> slow_consumers_;
  std::shared_ptr<ConnectionListeners> connection_listeners_;  // shared: a type known only in the .cpp
};

// "nats: <status text>: <last error>" for messages.
Error nats_error(natsStatus status, const std::string& what);

}  // namespace parkchat::bus
