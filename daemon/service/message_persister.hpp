#pragma once
// The `service` role's writer: a durable pull consumer on CHAT_MESSAGES that stores messages in
// PostgreSQL in batches (one statement per batch, duplicates ignored) and acks them only after
// commit, so that a message published while the service or the database was down is stored
// exactly once when both are back. Several service processes share the consumer.
//
// Two threads form a pipeline: the fetcher pulls and parses the next batch while the writer
// inserts the previous one on its own database connection, so PostgreSQL is never idle waiting
// for NATS. The queue between them holds at most two batches.

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
#include "core/bus/streams.hpp"
#include "core/store/lazy_connection.hpp"

namespace parkchat::service {

struct PersisterOptions {
  std::string durable = "chat-service";
  int batch = 500;
  // Called after each commit with the createdAt of each newly stored message (not of
  // duplicates): for lag measurements and tests.
  std::function<void(Micros created_at, Micros committed_at)> on_stored;
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
  std::uint64_t rejected() const { return rejected_.load(); }
  // Batches left for redelivery because the database was unavailable or refused them.
  std::uint64_t deferred() const { return deferred_.load(); }

 private:
  // A fetched batch, parsed and ready to insert.
  struct Prepared {
    std::vector<bus::MsgPtr> messages;  // acked after commit
    std::string rows_json;              // the messages to insert, as a JSON array
    std::string newest_json;            // {roomId: newest createdAt} of the batch
    std::size_t rows = 0;
  };
  void fetch_loop();
  void write_loop();
  // Parses a fetched batch; terminates messages that can never be stored.
  Prepared prepare(std::vector<bus::MsgPtr> batch);
  // Inserts and acks; false when the batch must be redelivered.
  bool write(Prepared& batch);
  void wait_before_retry(std::chrono::milliseconds delay);

  bus::NatsClient& nats_;
  PersisterOptions options_;
  std::unique_ptr<bus::PullConsumer> consumer_;
  store::LazyConnection db_;
  std::thread fetcher_;
  std::thread writer_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Prepared> queue_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> stored_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> deferred_{0};
};

}  // namespace parkchat::service
