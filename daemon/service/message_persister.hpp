#pragma once
// The `service` role's writer: a durable pull consumer on CHAT_MESSAGES that stores messages in
// PostgreSQL in batches (one statement per batch, duplicates ignored) and acks them only after
// commit, so that a message published while the service or the database was down is stored
// exactly once when both are back. Several service processes share the consumer.
//
// Two threads form a pipeline: the fetcher pulls and parses the next batch while the writer
// inserts the previous one on its own database connection, so PostgreSQL is never idle waiting
// for NATS. The queue between them holds at most two batches.
//
// No message blocks the others: one that can never be stored (it fails validation, its room
// does not exist, or PostgreSQL refuses its data, for which a failed batch is split until the
// message is alone) goes to CHAT_DEADLETTER with the reason, is counted and logged once, and is
// acked on CHAT_MESSAGES. A database that is down is no such reason: the batch is redelivered.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/base/clock.hpp"
#include "core/bus/nats_client.hpp"
#include "core/chat/message.hpp"
#include "core/obs/metrics.hpp"
#include "core/bus/streams.hpp"
#include "core/store/lazy_connection.hpp"
#include "daemon/service/service_gate.hpp"

namespace parkchat::service {

struct PersisterOptions {
  std::string durable = "chat-service";
  int batch = 500;
  // Called after each commit with the createdAt of each newly stored message (not of
  // duplicates): for lag measurements and tests.
  std::function<void(Micros created_at, Micros committed_at)> on_stored;
  // Counts dead-lettered messages for /metrics, if set.
  obs::Counter* dead_lettered = nullptr;
  // Records the messages of each transaction written, if set.
  obs::Histogram* batch_size = nullptr;
  // While closed (if set), nothing is fetched or written; what is in hand is delivered again.
  const ServiceGate* gate = nullptr;
};

class MessagePersister {
 public:
  // `nats` must outlive the persister.
  MessagePersister(bus::NatsClient& nats, std::string database_url, PersisterOptions options);
  ~MessagePersister();

  Result<void> start();
  // Finishes the batch in hand (committed and acked, or left for redelivery) and returns.
  void stop();

  std::uint64_t stored() const { return stored_.load(); }
  // Messages sent to CHAT_DEADLETTER.
  std::uint64_t dead_lettered() const { return dead_lettered_.load(); }
  // Batches left for redelivery because the database was unavailable or refused them.
  std::uint64_t deferred() const { return deferred_.load(); }

 private:
  // A fetched message, parsed: acked after commit (or after its dead-lettering).
  struct Entry {
    bus::MsgPtr msg;
    chat::Message message;
  };
  using Batch = std::vector<Entry>;
  void fetch_loop();
  void write_loop();
  // Parses a fetched batch; dead-letters messages that can never be stored.
  Batch prepare(std::vector<bus::MsgPtr> fetched);
  // Stores and acks what can be stored and dead-letters the rest; false when the database (or
  // NATS, for a dead letter) is unavailable and the unfinished messages must be redelivered.
  bool write(Batch& batch);
  // Sends one message to CHAT_DEADLETTER and acks it; false when it could not be published.
  bool dead_letter(natsMsg* msg, const std::string& reason);
  void wait_before_retry(std::chrono::milliseconds delay);

  bus::NatsClient& nats_;
  PersisterOptions options_;
  std::unique_ptr<bus::PullConsumer> consumer_;
  store::LazyConnection db_;
  std::thread fetcher_;
  std::thread writer_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Batch> queue_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> stored_{0};
  std::atomic<std::uint64_t> dead_lettered_{0};
  std::atomic<std::uint64_t> deferred_{0};
};

}  // namespace parkchat::service
