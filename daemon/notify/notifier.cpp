#include "daemon/notify/notifier.hpp"

#include <map>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "core/chat/message.hpp"
#include "core/chat/subjects.hpp"
#include "core/obs/log.hpp"
#include "core/store/room_repository.hpp"
#include "core/store/sql_rows.hpp"

namespace parkchat::notify {
namespace {

constexpr std::size_t kRecentIds = 100000;
constexpr auto kRetryDelay = std::chrono::seconds(1);

}  // namespace

Notifier::Notifier(bus::NatsClient& nats, std::string database_url, std::string durable,
                   const service::ServiceGate* gate)
    : nats_(nats), durable_(std::move(durable)), gate_(gate), db_(std::move(database_url)) {}

Notifier::~Notifier() { stop(); }

Result<void> Notifier::start() {
  auto sub = nats_.subscribe("chat.user.*.presence", "", [this](bus::MsgPtr msg) {
    presence_.apply(nlohmann::json::parse(bus::payload(msg.get()), nullptr, false));
  });
  if (!sub) return tl::unexpected(sub.error());
  presence_sub_.emplace(std::move(*sub));
  auto lists = nats_.subscribe(chat::kGatewayOnlineWildcard, "", [this](bus::MsgPtr msg) {
    presence_.apply_list(nlohmann::json::parse(bus::payload(msg.get()), nullptr, false));
  });
  if (!lists) return tl::unexpected(lists.error());
  online_lists_sub_.emplace(std::move(*lists));
  // Gateways that were up before this notifier say at once who is online there.
  if (auto asked = nats_.publish(chat::kPresenceSyncSubject, "{}"); !asked) return tl::unexpected(asked.error());
  auto consumer = bus::PullConsumer::open(nats_, bus::kMessagesStream, durable_, 5000);
  if (!consumer) return tl::unexpected(consumer.error());
  consumer_ = std::move(*consumer);
  if (auto conn = db_.get(); !conn) return tl::unexpected(conn.error());
  thread_ = std::thread([this] { run(); });
  return {};
}

void Notifier::stop() {
  stopping_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  presence_sub_.reset();
  online_lists_sub_.reset();
}

bool Notifier::first_time(const std::string& message_id) {
  if (!recent_.insert(message_id).second) return false;
  recent_order_.push_back(message_id);
  if (recent_order_.size() > kRecentIds) {
    recent_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
  return true;
}

void Notifier::run() {
  auto log = obs::logger("notify");
  while (!stopping_) {
    presence_.forget_silent();
    // While the gate is closed (the service logs why), nothing is fetched.
    if (gate_ == nullptr || gate_->is_open()) {
      auto batch = consumer_->fetch(256, std::chrono::milliseconds(500));
      if (!batch) {
        log->warn("fetch failed err={}", batch.error().message);
      } else if (batch->empty() || notify(*batch)) {
        continue;
      } else {
        for (auto& msg : *batch) bus::nak(msg.get(), kRetryDelay);
      }
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, kRetryDelay, [&] { return stopping_.load(); });
  }
}

void Notifier::notify_gateways(const chat::Message& m, const std::vector<std::int64_t>& members) {
  std::map<std::string, std::vector<std::int64_t>> by_gateway;
  for (std::int64_t user : members) {
    for (const std::string& gateway : presence_.gateways_of(user)) {
      if (!gateway.empty()) by_gateway[gateway].push_back(user);
    }
  }
  if (by_gateway.empty()) return;
  nlohmann::json notice = {{"roomId", m.room_id}, {"message", chat::to_json(m)}, {"userIds", nullptr}};
  for (auto& [gateway, users] : by_gateway) {
    notice["userIds"] = users;
    const std::string text = notice.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (auto published = nats_.publish(chat::gateway_notification_subject(gateway), text); !published) {
      obs::logger("notify")->warn("notification not published gateway={} err={}", gateway, published.error().message);
    }
  }
}

bool Notifier::notify(std::vector<bus::MsgPtr>& batch) {
  std::vector<std::pair<natsMsg*, chat::Message>> messages;
  std::vector<std::string> room_ids;
  for (auto& msg : batch) {
    auto m = chat::message_from_json(nlohmann::json::parse(bus::payload(msg.get()), nullptr, false));
    if (!m || m->type == chat::MessageType::system) {
      bus::ack(msg.get());  // nothing to notify about
      continue;
    }
    room_ids.push_back(m->room_id);
    messages.emplace_back(msg.get(), std::move(*m));
  }
  if (messages.empty()) return true;
  auto conn = db_.get();
  if (!conn) return false;
  auto members = store::in_transaction<std::map<std::string, std::vector<std::int64_t>>>(
      *conn, [&](pqxx::work& tx) { return store::RoomRepository(tx).active_members(room_ids); });
  if (!members) {
    if (members.error().code == Errc::unavailable) db_.reset();
    return false;
  }
  for (auto& [msg, m] : messages) {
    if (first_time(m.id)) {
      notify_gateways(m, (*members)[m.room_id]);
      const std::string preview = chat::preview(m.type == chat::MessageType::image ? "[image]" : m.content);
      for (std::int64_t user : (*members)[m.room_id]) {
        if (user == m.sender_id || presence_.online(user)) continue;
        nlohmann::json push = {{"userId", user},       {"roomId", m.room_id},         {"messageId", m.id},
                               {"senderName", m.sender_name}, {"preview", preview}};
        if (nats_.publish("notify.push." + std::to_string(user), push.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))) {
          pushed_.fetch_add(1, std::memory_order_relaxed);
        }
      }
    }
    bus::ack(msg);
  }
  return true;
}

}  // namespace parkchat::notify
