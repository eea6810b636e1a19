#pragma once
// Pipelined JetStream publishing: up to `max_pending` publishes in flight, each reported back
// (on a nats.c thread) with its message id once the stream has stored it or refused it. The
// gateway acknowledges senders from these reports; throughput does not wait on round trips.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/bus/nats_client.hpp"

namespace parkchat::bus {

class AsyncPublisher {
 public:
  // Called once per publish: the message id and the stream's answer, or the error. Publishes
  // of one id are answered in the order they were made (the stream takes them in order). Runs on a nats.c thread; keep it short.
  using Report = std::function<void(const std::string& msg_id, Result<PublishAck> stored)>;

  // `nats` must outlive the publisher. With `max_pending` in flight, publish() waits up to
  // `stall_wait` for room, then fails: an event loop passes a few milliseconds, not seconds.
  static Result<std::unique_ptr<AsyncPublisher>> open(NatsClient& nats, int max_pending, Report report,
                                                      std::chrono::milliseconds stall_wait = std::chrono::seconds(5));
  ~AsyncPublisher();

  // Queues a publish with Nats-Msg-Id = msg_id (and `headers`); waits (up to the stall wait)
  // only while max_pending are in flight.
  Result<void> publish(const std::string& subject, std::string_view data, const std::string& msg_id,
                       const Headers& headers = {});
  // Waits until every publish so far has been reported.
  Result<void> wait_all(std::chrono::milliseconds timeout);

 private:
  AsyncPublisher(jsCtx* js, Report report) : js_(js), report_(std::move(report)) {}
  static void on_ack(jsCtx* js, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure);

  jsCtx* js_;
  Report report_;
};

}  // namespace parkchat::bus
