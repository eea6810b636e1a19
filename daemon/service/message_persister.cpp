#include "daemon/service/message_persister.hpp"

#include <map>
#include <set>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "core/chat/message.hpp"
#include "core/obs/log.hpp"
#include "core/store/message_repository.hpp"
#include "core/store/sql_rows.hpp"
#include "core/proto/bounded_json.hpp"

namespace parkchat::service {
namespace {

constexpr auto kFetchWait = std::chrono::milliseconds(500);
constexpr auto kRetryDelay = std::chrono::seconds(1);
constexpr std::size_t kQueuedBatches = 2;

}  // namespace

MessagePersister::MessagePersister(bus::NatsClient& nats, std::string database_url, PersisterOptions options)
    : nats_(nats), options_(std::move(options)), db_(std::move(database_url)) {}

MessagePersister::~MessagePersister() { stop(); }

Result<void> MessagePersister::start() {
  auto consumer = bus::PullConsumer::open(nats_, bus::kMessagesStream, options_.durable, 10 * options_.batch);
  if (!consumer) return tl::unexpected(consumer.error());
  consumer_ = std::move(*consumer);
  if (auto conn = db_.get(); !conn) return tl::unexpected(conn.error());
  writer_ = std::thread([this] { write_loop(); });
  fetcher_ = std::thread([this] { fetch_loop(); });
  return {};
}

void MessagePersister::stop() {
  stopping_ = true;
  wake_.notify_all();
  if (fetcher_.joinable()) fetcher_.join();
  if (writer_.joinable()) writer_.join();
}

void MessagePersister::wait_before_retry(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [&] { return stopping_.load(); });
}

void MessagePersister::fetch_loop() {
  auto log = obs::logger("service");
  while (!stopping_) {
    auto batch = consumer_->fetch(options_.batch, kFetchWait);
    if (!batch) {
      log->warn("fetch from {} failed err={}", bus::kMessagesStream, batch.error().message);
      wait_before_retry(kRetryDelay);
      continue;
    }
    if (batch->empty()) continue;
    Prepared prepared = prepare(std::move(*batch));
    if (prepared.messages.empty()) continue;
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [&] { return stopping_ || queue_.size() < kQueuedBatches; });
    queue_.push_back(std::move(prepared));
    wake_.notify_all();
  }
}

void MessagePersister::write_loop() {
  for (;;) {
    Prepared batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      // On stop, the batches in hand are still written (or left for redelivery), then we exit.
      if (queue_.empty()) return;
      batch = std::move(queue_.front());
      queue_.pop_front();
      wake_.notify_all();
    }
    if (!write(batch)) {
      deferred_.fetch_add(1, std::memory_order_relaxed);
      for (auto& msg : batch.messages) bus::nak(msg.get(), kRetryDelay);
      wait_before_retry(kRetryDelay);
    }
  }
}

MessagePersister::Prepared MessagePersister::prepare(std::vector<bus::MsgPtr> batch) {
  auto log = obs::logger("service");
  Prepared prepared;
  nlohmann::json rows = nlohmann::json::array();
  std::set<std::string> ids;
  std::map<std::string, Micros> newest;
  for (auto& msg : batch) {
    auto message = chat::message_from_json(proto::parse_bounded_json(bus::payload(msg.get())));
    if (!message) {
      // It can never be stored: drop it for good rather than redeliver it forever.
      log->warn("message rejected subject={} err={}", natsMsg_GetSubject(msg.get()), message.error().message);
      bus::term(msg.get());
      rejected_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    prepared.messages.push_back(std::move(msg));
    if (!ids.insert(message->id).second) continue;  // the same id twice in one batch
    Micros& room_newest = newest[message->room_id];
    room_newest = std::max(room_newest, message->created_at);
    ++prepared.rows;
    rows.push_back(chat::to_json(*message));
  }
  nlohmann::json newest_json = nlohmann::json::object();
  for (const auto& [room, at] : newest) newest_json[room] = format_iso8601(at);
  prepared.rows_json = rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  prepared.newest_json = newest_json.dump();
  return prepared;
}

bool MessagePersister::write(Prepared& batch) {
  auto log = obs::logger("service");
  auto conn = db_.get();
  if (!conn) return false;  // logged by LazyConnection; the batch waits for redelivery
  auto outcome = store::in_transaction<store::BatchOutcome>(
      *conn, [&](pqxx::work& tx) { return store::MessageRepository(tx).insert_batch(batch.rows_json); });
  if (!outcome) {
    if (outcome.error().code == Errc::unavailable) db_.reset();
    log->warn("batch not stored size={} err={}", batch.rows, outcome.error().message);
    return false;
  }
  if (outcome->unknown_room > 0) log->warn("messages for unknown rooms dropped count={}", outcome->unknown_room);
  for (auto& msg : batch.messages) bus::ack(msg.get());
  stored_.fetch_add(static_cast<std::uint64_t>(outcome->inserted), std::memory_order_relaxed);
  const Micros committed = now_micros();

  // Derived state, in its own short transaction so that parallel writers do not queue on the
  // room rows while inserting. A failure here only delays updated_at until the next message.
  auto bumped = store::in_transaction<void>(
      *conn, [&](pqxx::work& tx) { return store::MessageRepository(tx).bump_rooms(batch.newest_json); });
  if (!bumped) log->warn("rooms' updated_at not moved err={}", bumped.error().message);
  if (options_.on_stored) {
    for (Micros c : outcome->inserted_created) options_.on_stored(c, committed);
  }
  return true;
}

}  // namespace parkchat::service
