#include "daemon/service/message_persister.hpp"

#include <map>
#include <set>

#include "core/bus/streams.hpp"
#include "core/chat/commit_notice.hpp"
#include "core/chat/subjects.hpp"
#include "core/obs/log.hpp"
#include "core/proto/bounded_json.hpp"
#include "core/store/message_batches.hpp"

namespace parkchat::service {
namespace {

constexpr auto kFetchWait = std::chrono::milliseconds(500);
constexpr auto kRetryDelay = std::chrono::seconds(1);
// Fetched batches waiting for the writer, which takes all of them into one transaction: under a
// steady load the fetches are small (what arrived since the last one), and each transaction has
// a fixed cost in PostgreSQL (two statements and a commit), so the writer's batches grow with the
// load instead of its transactions multiplying.
constexpr std::size_t kQueuedBatches = 8;

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
    if (options_.gate != nullptr && !options_.gate->is_open()) {
      wait_before_retry(kRetryDelay);
      continue;
    }
    auto fetched = consumer_->fetch(options_.batch, kFetchWait);
    if (!fetched) {
      log->warn("fetch from {} failed err={}", bus::kMessagesStream, fetched.error().message);
      wait_before_retry(kRetryDelay);
      continue;
    }
    if (fetched->empty()) continue;
    Batch batch = prepare(std::move(*fetched));
    if (batch.empty()) continue;
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [&] { return stopping_ || queue_.size() < kQueuedBatches; });
    queue_.push_back(std::move(batch));
    wake_.notify_all();
  }
}

void MessagePersister::write_loop() {
  for (;;) {
    Batch batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      // On stop, the batches in hand are still written (or left for redelivery), then we exit.
      if (queue_.empty()) return;
      batch = std::move(queue_.front());
      queue_.pop_front();
      while (!queue_.empty()) {
        for (auto& entry : queue_.front()) batch.push_back(std::move(entry));
        queue_.pop_front();
      }
      wake_.notify_all();
    }
    if (options_.batch_size != nullptr) options_.batch_size->observe(static_cast<double>(batch.size()));
    const bool closed = options_.gate != nullptr && !options_.gate->is_open();
    if (closed || !write(batch)) {
      deferred_.fetch_add(1, std::memory_order_relaxed);
      // What was acked already (stored, or dead-lettered) ignores the nak.
      for (auto& entry : batch) bus::nak(entry.msg.get(), kRetryDelay);
      wait_before_retry(kRetryDelay);
    }
  }
}

MessagePersister::Batch MessagePersister::prepare(std::vector<bus::MsgPtr> fetched) {
  Batch batch;
  batch.reserve(fetched.size());
  for (auto& msg : fetched) {
    auto message = chat::message_from_json(proto::parse_bounded_json(bus::payload(msg.get())));
    if (!message) {
      if (!dead_letter(msg.get(), "not a storable message: " + message.error().message)) bus::nak(msg.get(), kRetryDelay);
      continue;
    }
    batch.push_back({std::move(msg), std::move(*message)});
  }
  return batch;
}

namespace {

// Stores entries [begin, end) as one batch; on a data error, splits the range until the message
// at fault is alone. Returns the entries that could not be stored and why, or UNAVAILABLE (or
// INTERNAL) when the database itself failed.
template <class Entry>
struct RangeResult {
  std::vector<Micros> inserted_created;
  std::map<std::string, Micros> newest;                 // per room, of the stored entries
  std::vector<std::pair<Entry*, std::string>> refused;  // entry and reason
};

template <class Entry>
Result<void> store_range(pqxx::connection* conn, Entry* begin, Entry* end, RangeResult<Entry>& result) {
  std::vector<chat::Message> messages;
  messages.reserve(static_cast<std::size_t>(end - begin));
  for (Entry* e = begin; e != end; ++e) messages.push_back(e->message);
  auto outcome = store::store_message_batch(conn, messages);
  if (!outcome) {
    if (outcome.error().code != Errc::validation) return tl::unexpected(outcome.error());
    if (end - begin == 1) {
      result.refused.emplace_back(begin, outcome.error().message);
      return {};
    }
    Entry* middle = begin + (end - begin) / 2;
    if (auto first = store_range(conn, begin, middle, result); !first) return first;
    return store_range(conn, middle, end, result);
  }
  const std::set<std::string> unknown(outcome->unknown_room_ids.begin(), outcome->unknown_room_ids.end());
  std::set<const Entry*> conflicting;
  for (std::size_t i : outcome->conflicting) conflicting.insert(begin + i);
  for (Entry* e = begin; e != end; ++e) {
    if (unknown.count(e->message.id) != 0) {
      result.refused.emplace_back(e, "room " + e->message.room_id + " does not exist");
      continue;
    }
    if (conflicting.count(e) != 0) {
      result.refused.emplace_back(e, "message id " + e->message.id + " is already used by another message");
      continue;
    }
    Micros& newest = result.newest[e->message.room_id];
    newest = std::max(newest, e->message.created_at);
  }
  result.inserted_created.insert(result.inserted_created.end(), outcome->inserted_created.begin(),
                                 outcome->inserted_created.end());
  return {};
}

}  // namespace

bool MessagePersister::write(Batch& batch) {
  auto log = obs::logger("service");
  auto conn = db_.get();
  if (!conn) return false;  // logged by LazyConnection; the batch waits for redelivery
  RangeResult<Entry> result;
  if (auto stored = store_range(*conn, batch.data(), batch.data() + batch.size(), result); !stored) {
    if (stored.error().code == Errc::unavailable) db_.reset();
    log->warn("batch not stored size={} err={}", batch.size(), stored.error().message);
    return false;
  }
  // Everything the batch had to give is committed now: ack it, and dead-letter the rest.
  std::set<const Entry*> refused;
  for (const auto& [entry, reason] : result.refused) refused.insert(entry);
  for (auto& entry : batch) {
    if (refused.count(&entry) == 0) bus::ack(entry.msg.get());
  }
  // One notice for the transaction, for gateways that acknowledge sends once stored
  // (--ack-after stored); lost, it costs them a question to the service.
  std::vector<std::string> committed_ids;
  committed_ids.reserve(batch.size());
  for (auto& entry : batch) {
    if (refused.count(&entry) == 0) committed_ids.push_back(entry.message.id);
  }
  if (auto announced = nats_.publish(chat::kCommittedSubject, chat::commit_notice(committed_ids)); !announced) {
    log->warn("commit of {} messages not announced err={}", committed_ids.size(), announced.error().message);
  }
  bool all_done = true;
  for (const auto& [entry, reason] : result.refused) all_done = dead_letter(entry->msg.get(), reason) && all_done;
  stored_.fetch_add(result.inserted_created.size(), std::memory_order_relaxed);
  const Micros committed = now_micros();

  // Derived state, in its own short transaction so that parallel writers do not queue on the
  // room rows while inserting. A failure here only delays updated_at until the next message.
  if (auto bumped = store::bump_room_times(*conn, result.newest); !bumped) {
    log->warn("rooms' updated_at not moved err={}", bumped.error().message);
  }
  if (options_.on_stored) {
    for (Micros c : result.inserted_created) options_.on_stored(c, committed);
  }
  return all_done;
}

bool MessagePersister::dead_letter(natsMsg* msg, const std::string& reason) {
  auto log = obs::logger("service");
  const std::string subject = natsMsg_GetSubject(msg);
  const std::string dead_subject =
      "chat.deadletter." + (subject.rfind("chat.", 0) == 0 ? subject.substr(5) : subject);
  // A header value is one line.
  std::string one_line = reason.substr(0, 1000);
  for (char& c : one_line) c = (c == '\r' || c == '\n') ? ' ' : c;
  const std::string original_id(bus::header(msg, "Nats-Msg-Id"));
  auto published = nats_.publish_durable(dead_subject, bus::payload(msg),
                                         original_id.empty() ? "" : "deadletter-" + original_id,
                                         {{bus::kDeadLetterReasonHeader, one_line}, {"Parkchat-Original-Subject", subject}});
  if (!published) {
    log->warn("message not dead-lettered subject={} err={}", subject, published.error().message);
    return false;
  }
  bus::ack(msg);
  dead_lettered_.fetch_add(1, std::memory_order_relaxed);
  if (options_.dead_lettered != nullptr) options_.dead_lettered->add();
  log->warn("message dead-lettered subject={} id={} reason={}", subject, original_id, one_line);
  return true;
}

}  // namespace parkchat::service
