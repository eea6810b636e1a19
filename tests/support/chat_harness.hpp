#pragma once
// The `service` role running in the test process against the binary's real NATS and a fresh
// database: streams reset, schema migrated, ChatService and MessagePersister started. Tests talk
// to it over NATS exactly as the gateway and REST roles do.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/bus/nats_client.hpp"
#include "core/store/database_pool.hpp"
#include "daemon/service/chat_service.hpp"
#include "daemon/service/message_persister.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {

class ChatHarness {
 public:
  // On the binary's NATS, or on the one at `nats_url`.
  explicit ChatHarness(std::string nats_url = "");
  ~ChatHarness();

  // The reply envelope of a request.
  nlohmann::json request(const std::string& subject, const nlohmann::json& payload);
  nlohmann::json request_raw(const std::string& subject, const std::string& payload);
  // The data of a success reply; the test fails on an error reply.
  nlohmann::json call(const std::string& subject, const nlohmann::json& payload);
  // The error code of a reply that must be an error ("" if it succeeded).
  std::string error_code(const std::string& subject, const nlohmann::json& payload);

  // Publishes a message as a gateway would: on its room's subject, Nats-Msg-Id = id.
  void publish_message(const nlohmann::json& message, bool direct = false);

  // Stops the request/reply service, as if no service process ran.
  void stop_service();
  void start_persister();
  void stop_persister();
  // Waits until the persisters of this harness have committed `count` messages (or fails).
  void wait_stored(std::uint64_t count, std::chrono::seconds timeout = std::chrono::seconds(30));

  // Batches the harness's persister had to leave for redelivery.
  std::uint64_t deferred() const { return persister_ ? persister_->deferred() : 0; }
  // Messages the harness's persister sent to CHAT_DEADLETTER.
  std::uint64_t dead_lettered() const { return persister_ ? persister_->dead_lettered() : 0; }

  std::string scalar(const std::string& sql);
  const ScratchDatabase& db() const { return db_; }
  bus::NatsClient& nats() { return *nats_; }
  store::DatabasePool& pool() { return *pool_; }

  // A message JSON for `room` from `sender`, as a gateway would publish it.
  static nlohmann::json message(const std::string& room, std::int64_t sender, const std::string& content);

 private:
  void set_up(const std::string& nats_url);  // gtest assertions cannot return from a constructor

  ScratchDatabase db_;
  std::unique_ptr<bus::NatsClient> nats_;
  std::unique_ptr<store::DatabasePool> pool_;
  std::unique_ptr<service::ChatService> service_;
  std::unique_ptr<service::MessagePersister> persister_;
  std::mutex mutex_;
  std::condition_variable stored_changed_;
  std::uint64_t stored_ = 0;
};

// Deletes the chat streams (and their consumers) so that a test starts from empty streams.
void reset_streams(bus::NatsClient& nats);

}  // namespace parkchat::testing
