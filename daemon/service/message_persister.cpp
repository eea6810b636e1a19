#include "daemon/service/message_persister.hpp"

#include <set>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "core/chat/message.hpp"
#include "core/obs/log.hpp"
#include "core/store/database_pool.hpp"
#include "core/store/message_repository.hpp"
#include "core/store/sql_rows.hpp"

namespace parkchat::service {
namespace {

constexpr auto kFetchWait = std::chrono::milliseconds(500);
constexpr auto kRetryDelay = std::chrono::seconds(1);

}  // namespace

MessagePersister::MessagePersister(bus::NatsClient& nats, std::string database_url, PersisterOptions options)
    : nats_(nats), database_url_(std::move(database_url)), options_(std::move(options)) {}

MessagePersister::~MessagePersister() { stop(); }

Result<void> MessagePersister::start() {
  auto consumer = bus::PullConsumer::open(nats_, bus::kMessagesStream, options_.durable, 10 * options_.batch);
  if (!consumer) return tl::unexpected(consumer.error());
  consumer_ = std::move(*consumer);
  auto conn = store::open_connection(database_url_);
  if (!conn) return tl::unexpected(conn.error());
  conn_ = std::move(*conn);
  thread_ = std::thread([this] { run(); });
  return {};
}

void MessagePersister::stop() {
  stopping_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MessagePersister::wait_before_retry(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [&] { return stopping_.load(); });
}

void MessagePersister::run() {
  auto log = obs::logger("service");
  while (!stopping_) {
    auto batch = consumer_->fetch(options_.batch, kFetchWait);
    if (!batch) {
      log->warn("fetch from {} failed err={}", bus::kMessagesStream, batch.error().message);
      wait_before_retry(kRetryDelay);
      continue;
    }
    if (batch->empty()) continue;
    if (!persist(*batch)) {
      deferred_.fetch_add(1, std::memory_order_relaxed);
      for (auto& msg : *batch) bus::nak(msg.get(), kRetryDelay);
      wait_before_retry(kRetryDelay);
    }
  }
}

bool MessagePersister::persist(std::vector<bus::MsgPtr>& batch) {
  auto log = obs::logger("service");
  nlohmann::json rows = nlohmann::json::array();
  std::set<std::string> ids;
  std::vector<natsMsg*> valid;
  std::vector<Micros> created;
  for (auto& msg : batch) {
    nlohmann::json json = nlohmann::json::parse(bus::payload(msg.get()), nullptr, false);
    auto message = chat::message_from_json(json);
    if (!message) {
      // It can never be stored: drop it for good rather than redeliver it forever.
      log->warn("message rejected subject={} err={}", natsMsg_GetSubject(msg.get()), message.error().message);
      bus::term(msg.get());
      rejected_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    valid.push_back(msg.get());
    if (!ids.insert(message->id).second) continue;  // the same id twice in one batch
    rows.push_back(chat::to_json(*message));
    created.push_back(message->created_at);
  }
  if (rows.empty()) return true;

  if (!conn_ || !conn_->is_open()) {
    auto conn = store::open_connection(database_url_);
    if (!conn) {
      log->warn("database unavailable; {} message(s) wait err={}", valid.size(), conn.error().message);
      conn_.reset();
      return false;
    }
    conn_ = std::move(*conn);
  }
  const std::string json = rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto outcome = store::in_transaction<store::BatchOutcome>(
      conn_.get(), [&](pqxx::work& tx) { return store::MessageRepository(tx).insert_batch(json); });
  if (!outcome) {
    if (outcome.error().code == Errc::unavailable) {
      conn_.reset();
      return false;
    }
    // A deadlock or another transient error: the whole batch comes back later.
    log->warn("batch not stored size={} err={}", rows.size(), outcome.error().message);
    return false;
  }
  if (outcome->unknown_room > 0) log->warn("messages for unknown rooms dropped count={}", outcome->unknown_room);
  for (natsMsg* msg : valid) bus::ack(msg);
  stored_.fetch_add(static_cast<std::uint64_t>(outcome->inserted), std::memory_order_relaxed);
  if (options_.on_stored) {
    const Micros now = now_micros();
    for (Micros c : created) options_.on_stored(c, now);
  }
  return true;
}

}  // namespace parkchat::service
