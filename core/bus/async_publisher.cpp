#include "core/bus/async_publisher.hpp"

#include <algorithm>

namespace parkchat::bus {

Result<std::unique_ptr<AsyncPublisher>> AsyncPublisher::open(NatsClient& nats, int max_pending, Report report,
                                                             std::chrono::milliseconds stall_wait) {
  std::unique_ptr<AsyncPublisher> publisher(new AsyncPublisher(nullptr, std::move(report)));
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = 5000;
  options.PublishAsync.MaxPending = max_pending;
  options.PublishAsync.AckHandler = &AsyncPublisher::on_ack;
  options.PublishAsync.AckHandlerClosure = publisher.get();
  options.PublishAsync.StallWait = std::max<std::int64_t>(1, stall_wait.count());
  if (natsStatus s = natsConnection_JetStream(&publisher->js_, nats.connection(), &options); s != NATS_OK) {
    return tl::unexpected(nats_error(s, "JetStream context for async publishing"));
  }
  return publisher;
}

AsyncPublisher::~AsyncPublisher() {
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MaxWait = 5000;
  js_PublishAsyncComplete(js_, &options);
  jsCtx_Destroy(js_);
}

void AsyncPublisher::on_ack(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  auto* self = static_cast<AsyncPublisher*>(closure);
  const char* id = nullptr;
  natsMsgHeader_Get(msg, "Nats-Msg-Id", &id);
  const std::string msg_id = id != nullptr ? id : "";
  if (ack != nullptr) {
    self->report_(msg_id, PublishAck{ack->Duplicate, ack->Sequence});
  } else {
    std::string text = error != nullptr && error->ErrText != nullptr ? error->ErrText : "unknown error";
    self->report_(msg_id, fail(Errc::unavailable, "JetStream refused " + msg_id + ": " + text));
  }
  natsMsg_Destroy(msg);
}

Result<void> AsyncPublisher::publish(const std::string& subject, std::string_view data, const std::string& msg_id,
                                     const Headers& headers) {
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
  for (const auto& [name, value] : headers) {
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, name.c_str(), value.c_str());
  }
  if (s != NATS_OK) {
    natsMsg_Destroy(msg);
    return tl::unexpected(nats_error(s, "message for " + subject));
  }
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MsgId = msg_id.c_str();
  // Without a limit an ack lost to a reconnect would leave its publish pending forever.
  options.MaxWait = 5000;
  s = js_PublishMsgAsync(js_, &msg, &options);
  natsMsg_Destroy(msg);  // null when the library took it
  if (s != NATS_OK) return tl::unexpected(nats_error(s, "async publish to " + subject));
  return {};
}

Result<void> AsyncPublisher::wait_all(std::chrono::milliseconds timeout) {
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MaxWait = timeout.count();
  natsStatus s = js_PublishAsyncComplete(js_, &options);
  if (s != NATS_OK) return tl::unexpected(nats_error(s, "waiting for async publishes"));
  return {};
}

}  // namespace parkchat::bus
