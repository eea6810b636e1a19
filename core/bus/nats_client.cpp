#include "core/bus/nats_client.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

#include "core/base/redact.hpp"
#include "core/obs/log.hpp"

namespace parkchat::bus {
namespace {

void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  (*static_cast<Subscription::Handler*>(closure))(MsgPtr(msg));
}

}  // namespace

struct NatsClient::ConnectionListeners {
  std::mutex mutex;
  std::map<std::uint64_t, std::function<void(bool)>> listeners;
  std::uint64_t next_id = 1;
  void tell(bool connected) {
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& [id, listener] : listeners) listener(connected);
  }
};

namespace {

void on_disconnected(natsConnection* conn, void* closure) {
  // Closing on purpose also disconnects; only an unexpected loss is worth a warning.
  if (natsConnection_IsClosed(conn)) return;
  obs::logger("bus")->warn("nats disconnected; reconnecting");
  static_cast<NatsClient::ConnectionListeners*>(closure)->tell(false);
}

void on_reconnected(natsConnection*, void* closure) {
  obs::logger("bus")->info("nats reconnected");
  static_cast<NatsClient::ConnectionListeners*>(closure)->tell(true);
}

// Asynchronous errors; a slow consumer is a subscription whose backlog passed its limit, so
// nats.c dropped messages of it: said and counted, never silent.
void on_async_error(natsConnection*, natsSubscription* sub, natsStatus err, void* closure) {
  auto* slow_consumers = static_cast<std::atomic<std::uint64_t>*>(closure);
  if (err == NATS_SLOW_CONSUMER) {
    slow_consumers->fetch_add(1, std::memory_order_relaxed);
    int64_t dropped = 0;
    if (sub != nullptr) natsSubscription_GetDropped(sub, &dropped);
    obs::logger("bus")->warn("nats slow consumer: messages dropped by this client dropped_so_far={}", dropped);
    return;
  }
  obs::logger("bus")->warn("nats asynchronous error err={}", natsStatus_GetText(err));
}

}  // namespace

std::string_view payload(const natsMsg* msg) {
  auto* m = const_cast<natsMsg*>(msg);
  return {natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m))};
}

std::string_view subject(const natsMsg* msg) { return natsMsg_GetSubject(const_cast<natsMsg*>(msg)); }

std::string_view header(const natsMsg* msg, const char* name) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(const_cast<natsMsg*>(msg), name, &value) != NATS_OK || value == nullptr) return {};
  return value;
}

Error nats_error(natsStatus status, const std::string& what) {
  std::string text = what + ": " + natsStatus_GetText(status);
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0' && text.find(last) == std::string::npos) text += " (" + std::string(last) + ")";
  return Error{Errc::unavailable, text};
}

Subscription::Subscription(natsSubscription* sub, std::unique_ptr<Handler> handler,
                           std::shared_ptr<SubscriptionReaper> reaper)
    : sub_(sub), handler_(std::move(handler)), reaper_(std::move(reaper)) {}

Subscription::Subscription(Subscription&& other) noexcept
    : sub_(other.sub_), handler_(std::move(other.handler_)), reaper_(std::move(other.reaper_)) {
  other.sub_ = nullptr;
}

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    close();
    sub_ = other.sub_;
    handler_ = std::move(other.handler_);
    reaper_ = std::move(other.reaper_);
    other.sub_ = nullptr;
  }
  return *this;
}

Subscription::~Subscription() { close(); }

// Owned by nats.c's completion callback once delivery stops: it frees the handler after the
// subscription's last call has returned and tells whoever waits.
struct Subscription::Completion {
  std::unique_ptr<Handler> handler;
  std::mutex mutex;
  std::condition_variable done_changed;
  bool done = false;
};

std::shared_ptr<Subscription::Completion> Subscription::stop_delivery() {
  auto completion = std::make_shared<Completion>();
  completion->handler = std::move(handler_);
  auto* closure = new std::shared_ptr<Completion>(completion);
  const bool deferred = natsSubscription_SetOnCompleteCB(
                            sub_,
                            [](void* raw) {
                              std::unique_ptr<std::shared_ptr<Completion>> owned(static_cast<std::shared_ptr<Completion>*>(raw));
                              Completion& c = **owned;
                              std::lock_guard lock(c.mutex);
                              c.handler.reset();
                              c.done = true;
                              c.done_changed.notify_all();
                            },
                            closure) == NATS_OK;
  natsSubscription_Unsubscribe(sub_);
  // Not destroyed here: the read loop may still be looking at it (subscription_reaper.hpp).
  reaper_->retire(sub_);
  sub_ = nullptr;
  // A subscription already closed (its connection gone) calls nothing any more.
  if (!deferred) {
    delete closure;
    return nullptr;
  }
  return completion;
}

void Subscription::close() {
  if (sub_ == nullptr) return;
  // Drain: deliver what is already queued, stop, and wait for the last callback to return
  // before the handler it uses is freed. A completed drain has had its flush round trip, so
  // the read loop is done with the subscription and it can be freed at once.
  if (natsSubscription_IsValid(sub_) && natsSubscription_Drain(sub_) == NATS_OK &&
      natsSubscription_WaitForDrainCompletion(sub_, 5000) == NATS_OK) {
    natsSubscription_Destroy(sub_);
    sub_ = nullptr;
    handler_.reset();
    return;
  }
  // Draining needs the server; without one, stop delivery and wait for the completion callback.
  auto completion = stop_delivery();
  if (completion == nullptr) return;
  std::unique_lock lock(completion->mutex);
  completion->done_changed.wait_for(lock, std::chrono::seconds(5), [&] { return completion->done; });
}

void Subscription::close_without_waiting() {
  if (sub_ == nullptr) return;
  stop_delivery();
}

Result<std::unique_ptr<NatsClient>> NatsClient::connect(const std::string& url, const std::string& name,
                                                        bool shared_delivery) {
  natsOptions* options = nullptr;
  if (natsStatus s = natsOptions_Create(&options); s != NATS_OK) return tl::unexpected(nats_error(s, "nats options"));
  std::unique_ptr<natsOptions, decltype(&natsOptions_Destroy)> guard(options, &natsOptions_Destroy);
  // A comma-separated list names a cluster: natsOptions_SetURL takes one URL only.
  std::vector<std::string> servers;
  for (std::size_t start = 0; start <= url.size();) {
    std::size_t comma = url.find(',', start);
    if (comma == std::string::npos) comma = url.size();
    std::string one = url.substr(start, comma - start);
    one.erase(0, one.find_first_not_of(' '));
    one.erase(one.find_last_not_of(' ') + 1);
    if (!one.empty()) servers.push_back(std::move(one));
    start = comma + 1;
  }
  std::vector<const char*> server_ptrs;
  for (const auto& one : servers) server_ptrs.push_back(one.c_str());
  if (server_ptrs.size() > 1) {
    natsOptions_SetServers(options, server_ptrs.data(), static_cast<int>(server_ptrs.size()));
  } else {
    natsOptions_SetURL(options, url.c_str());
  }
  natsOptions_SetName(options, name.c_str());
  natsOptions_SetTimeout(options, 5000);
  natsOptions_SetMaxReconnect(options, -1);  // forever
  natsOptions_SetReconnectWait(options, 500);
  natsOptions_SetReconnectBufSize(options, 32 * 1024 * 1024);
  natsOptions_SetMaxPendingMsgs(options, 1 << 20);
  auto connection_listeners = std::make_shared<ConnectionListeners>();
  natsOptions_SetDisconnectedCB(options, on_disconnected, connection_listeners.get());
  natsOptions_SetReconnectedCB(options, on_reconnected, connection_listeners.get());
  auto slow_consumers = std::make_unique<std::atomic<std::uint64_t>>(0);
  natsOptions_SetErrorHandler(options, on_async_error, slow_consumers.get());
  if (shared_delivery) natsOptions_UseGlobalMessageDelivery(options, true);

  natsConnection* conn = nullptr;
  if (natsStatus s = natsConnection_Connect(&conn, options); s != NATS_OK) {
    return tl::unexpected(nats_error(s, "cannot connect to NATS at " + redact_credentials(url)));
  }
  jsCtx* js = nullptr;
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = 5000;
  if (natsStatus s = natsConnection_JetStream(&js, conn, &js_options); s != NATS_OK) {
    natsConnection_Destroy(conn);
    return tl::unexpected(nats_error(s, "JetStream context"));
  }
  auto client = std::unique_ptr<NatsClient>(new NatsClient(conn, js, redact_credentials(url)));
  client->slow_consumers_ = std::move(slow_consumers);
  client->connection_listeners_ = std::move(connection_listeners);
  return client;
}

NatsClient::~NatsClient() {
  jsCtx_Destroy(js_);
  natsConnection_FlushTimeout(conn_, 2000);
  reaper_->stop();
  natsConnection_Close(conn_);  // joins the read loop: nothing holds a retired subscription now
  reaper_->free_remaining();
  natsConnection_Destroy(conn_);
}

bool NatsClient::connected() const { return natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED; }

std::uint64_t NatsClient::reconnects() const {
  natsStatistics* stats = nullptr;
  if (natsStatistics_Create(&stats) != NATS_OK) return 0;
  std::uint64_t count = 0;
  if (natsConnection_GetStats(conn_, stats) == NATS_OK) {
    natsStatistics_GetCounts(stats, nullptr, nullptr, nullptr, nullptr, &count);
  }
  natsStatistics_Destroy(stats);
  return count;
}

Result<void> NatsClient::publish(const std::string& subject, std::string_view data, const Headers& headers) {
  natsStatus s = NATS_OK;
  if (headers.empty()) {
    s = natsConnection_Publish(conn_, subject.c_str(), data.data(), static_cast<int>(data.size()));
  } else {
    natsMsg* msg = nullptr;
    s = natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
    for (const auto& [name, value] : headers) {
      if (s == NATS_OK) s = natsMsgHeader_Set(msg, name.c_str(), value.c_str());
    }
    if (s == NATS_OK) s = natsConnection_PublishMsg(conn_, msg);
    natsMsg_Destroy(msg);
  }
  if (s != NATS_OK) return tl::unexpected(nats_error(s, "publish to " + subject));
  return {};
}

Result<PublishAck> NatsClient::publish_durable(const std::string& subject, std::string_view data, const std::string& msg_id,
                                        const Headers& headers) {
  jsPubOptions options;
  jsPubOptions_Init(&options);
  if (!msg_id.empty()) options.MsgId = msg_id.c_str();
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
  for (const auto& [name, value] : headers) {
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, name.c_str(), value.c_str());
  }
  jsPubAck* ack = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  if (s == NATS_OK) s = js_PublishMsg(&ack, js_, msg, &options, &code);
  natsMsg_Destroy(msg);
  if (s != NATS_OK) {
    return tl::unexpected(nats_error(s, "JetStream publish to " + subject + " (code " + std::to_string(code) + ")"));
  }
  const PublishAck result{ack->Duplicate, ack->Sequence};
  jsPubAck_Destroy(ack);
  return result;
}

Result<std::string> NatsClient::request(const std::string& subject, std::string_view data,
                                        std::chrono::milliseconds timeout) {
  auto reply = request_message(subject, data, timeout);
  if (!reply) return tl::unexpected(reply.error());
  return std::string(payload(reply->get()));
}

Result<MsgPtr> NatsClient::request_message(const std::string& subject, std::string_view data,
                                          std::chrono::milliseconds timeout) {
  natsMsg* reply = nullptr;
  natsStatus s = natsConnection_Request(&reply, conn_, subject.c_str(), data.data(), static_cast<int>(data.size()),
                                        static_cast<int64_t>(timeout.count()));
  if (s == NATS_NO_RESPONDERS) return fail(Errc::unavailable, "no service answers " + subject);
  if (s == NATS_TIMEOUT) return fail(Errc::unavailable, "no reply on " + subject + " within " + std::to_string(timeout.count()) + " ms");
  if (s != NATS_OK) return tl::unexpected(nats_error(s, "request on " + subject));
  return MsgPtr(reply);
}

std::uint64_t NatsClient::on_connection_change(std::function<void(bool)> listener) {
  std::lock_guard<std::mutex> lock(connection_listeners_->mutex);
  const std::uint64_t id = connection_listeners_->next_id++;
  connection_listeners_->listeners.emplace(id, std::move(listener));
  return id;
}

void NatsClient::forget_connection_listener(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(connection_listeners_->mutex);
  connection_listeners_->listeners.erase(id);
}

Result<Subscription> NatsClient::subscribe(const std::string& subject, const std::string& queue,
                                           Subscription::Handler handler) {
  auto owned = std::make_unique<Subscription::Handler>(std::move(handler));
  natsSubscription* sub = nullptr;
  natsStatus s = queue.empty()
                     ? natsConnection_Subscribe(&sub, conn_, subject.c_str(), on_message, owned.get())
                     : natsConnection_QueueSubscribe(&sub, conn_, subject.c_str(), queue.c_str(), on_message, owned.get());
  if (s != NATS_OK) return tl::unexpected(nats_error(s, "subscribe to " + subject));
  natsSubscription_SetPendingLimits(sub, -1, -1);
  return Subscription(sub, std::move(owned), reaper_);
}

void NatsClient::respond(const natsMsg* msg, std::string_view data) {
  const char* reply = natsMsg_GetReply(const_cast<natsMsg*>(msg));
  if (reply == nullptr || *reply == '\0') return;
  natsConnection_Publish(conn_, reply, data.data(), static_cast<int>(data.size()));
}

Result<void> NatsClient::flush(std::chrono::milliseconds timeout) {
  natsStatus s = natsConnection_FlushTimeout(conn_, static_cast<int64_t>(timeout.count()));
  if (s != NATS_OK) return tl::unexpected(nats_error(s, "flush"));
  return {};
}

}  // namespace parkchat::bus
