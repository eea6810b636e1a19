#include "tests/support/chat_harness.hpp"

#include <gtest/gtest.h>

#include "core/base/uuid.hpp"
#include "core/bus/streams.hpp"
#include "core/proto/envelope.hpp"
#include "core/store/migrator.hpp"

namespace parkchat::testing {

void reset_streams(bus::NatsClient& nats) {
  for (const char* stream : {bus::kMessagesStream, bus::kPresenceStream, bus::kTypingStream, bus::kDeadLetterStream}) {
    js_DeleteStream(nats.jetstream(), stream, nullptr, nullptr);
  }
  auto ensured = bus::ensure_streams(nats);
  ASSERT_TRUE(ensured) << ensured.error().message;
}

ChatHarness::ChatHarness(std::string nats_url) { set_up(nats_url); }

void ChatHarness::set_up(const std::string& nats_url) {
  {
    auto conn = store::PgConnection::connect(db_.url());
    ASSERT_TRUE(conn) << conn.error().message;
    auto migrations = store::builtin_migrations();
    ASSERT_TRUE(migrations);
    store::Migrator migrator(*conn, *migrations);
    auto applied = migrator.up(std::nullopt, store::DryRun::no);
    ASSERT_TRUE(applied) << applied.error().message;
  }
  auto nats = bus::NatsClient::connect(nats_url.empty() ? TestStack::get().nats_url() : nats_url, "parkchat-test");
  ASSERT_TRUE(nats) << nats.error().message;
  nats_ = std::move(*nats);
  reset_streams(*nats_);
  auto pool = store::DatabasePool::open(db_.url(), 4);
  ASSERT_TRUE(pool) << pool.error().message;
  pool_ = std::move(*pool);
  service_ = std::make_unique<service::ChatService>(*nats_, *pool_);
  auto started = service_->start();
  ASSERT_TRUE(started) << started.error().message;
  start_persister();
}

ChatHarness::~ChatHarness() {
  stop_persister();
  if (service_) service_->stop();
  if (pool_) pool_->stop();
}

void ChatHarness::stop_service() {
  if (service_) service_->stop();
}

void ChatHarness::start_persister() {
  service::PersisterOptions options;
  options.on_stored = [this](Micros, Micros) {
    std::lock_guard lock(mutex_);
    ++stored_;
    stored_changed_.notify_all();
  };
  persister_ = std::make_unique<service::MessagePersister>(*nats_, db_.url(), options);
  auto started = persister_->start();
  ASSERT_TRUE(started) << started.error().message;
}

void ChatHarness::stop_persister() {
  if (persister_) persister_->stop();
  persister_.reset();
}

void ChatHarness::wait_stored(std::uint64_t count, std::chrono::seconds timeout) {
  std::unique_lock lock(mutex_);
  bool reached = stored_changed_.wait_for(lock, timeout, [&] { return stored_ >= count; });
  EXPECT_TRUE(reached) << "stored " << stored_ << " of " << count << " messages";
}

nlohmann::json ChatHarness::request_raw(const std::string& subject, const std::string& payload) {
  auto reply = nats_->request(subject, payload, std::chrono::seconds(10));
  if (!reply) {
    ADD_FAILURE() << subject << ": " << reply.error().message;
    return {};
  }
  return nlohmann::json::parse(*reply);
}

nlohmann::json ChatHarness::request(const std::string& subject, const nlohmann::json& payload) {
  return request_raw(subject, payload.dump());
}

nlohmann::json ChatHarness::call(const std::string& subject, const nlohmann::json& payload) {
  auto envelope = request(subject, payload);
  auto data = proto::open_envelope(envelope);
  if (!data) {
    ADD_FAILURE() << subject << " " << payload.dump() << " failed: " << envelope.dump();
    return {};
  }
  return *data;
}

std::string ChatHarness::error_code(const std::string& subject, const nlohmann::json& payload) {
  auto envelope = request(subject, payload);
  if (envelope.value("success", true)) return "";
  return envelope["error"].value("code", "?");
}

void ChatHarness::publish_message(const nlohmann::json& message, bool direct) {
  const std::string subject = std::string(direct ? "chat.dm." : "chat.room.") + message["roomId"].get<std::string>() + ".message";
  auto published = nats_->publish_durable(subject, message.dump(), message["id"].get<std::string>());
  ASSERT_TRUE(published) << published.error().message;
}

std::string ChatHarness::scalar(const std::string& sql) {
  auto conn = store::PgConnection::connect(db_.url());
  if (!conn) {
    ADD_FAILURE() << conn.error().message;
    return {};
  }
  auto rows = conn->exec(sql);
  if (!rows) {
    ADD_FAILURE() << sql << ": " << store::describe(rows.error());
    return {};
  }
  return rows->empty() ? "" : rows->at(0).at(0).value_or("NULL");
}

nlohmann::json ChatHarness::message(const std::string& room, std::int64_t sender, const std::string& content) {
  return {{"id", new_uuid()},         {"roomId", room},   {"senderId", sender},
          {"senderName", "user " + std::to_string(sender)}, {"content", content}, {"type", "TEXT"},
          {"createdAt", format_iso8601(now_micros())}};
}

}  // namespace parkchat::testing
