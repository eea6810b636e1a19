#include "daemon/service/database_agreement.hpp"

#include <nlohmann/json.hpp>

#include "core/base/uuid.hpp"
#include "core/obs/log.hpp"
#include "core/proto/bounded_json.hpp"

namespace parkchat::service {
namespace {

// A peer not heard for this many periods has stopped (or cannot reach NATS: it serves nothing).
constexpr double kExpiryPeriods = 3.5;

}  // namespace

DatabaseAgreement::DatabaseAgreement(bus::NatsClient& nats, store::DatabaseIdentity identity, ServiceGate& gate,
                                     std::chrono::milliseconds period, std::chrono::milliseconds listening)
    : nats_(nats),
      identity_(std::move(identity)),
      service_id_(new_uuid()),
      gate_(gate),
      period_(period),
      listening_(listening) {}

DatabaseAgreement::~DatabaseAgreement() { stop(); }

Result<void> DatabaseAgreement::start() {
  gate_.close("this service is still listening for the databases of the other services of its group");
  listening_since_ = std::chrono::steady_clock::now();
  auto sub = nats_.subscribe(kDatabaseSubject, "", [this](bus::MsgPtr msg) {
    heard(bus::payload(msg.get()), std::chrono::steady_clock::now());
  });
  if (!sub) return tl::unexpected(sub.error());
  subscription_.emplace(std::move(*sub));
  announcer_ = std::thread([this] { announce_loop(); });
  std::this_thread::sleep_for(listening_);  // the others' answers to our first announcement
  judge(std::chrono::steady_clock::now());
  return {};
}

void DatabaseAgreement::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (announcer_.joinable()) announcer_.join();
  if (subscription_) {
    subscription_->close();
    (void)nats_.publish(kDatabaseSubject, announcement(true));
  }
}

std::string DatabaseAgreement::announcement(bool leaving) const {
  nlohmann::json a = {{"serviceId", service_id_}, {"databaseId", identity_.id}, {"database", identity_.where}};
  if (leaving) a["leaving"] = true;
  return a.dump();
}

void DatabaseAgreement::heard(std::string_view announcement, std::chrono::steady_clock::time_point at) {
  const nlohmann::json a = proto::parse_bounded_json(announcement);
  if (!a.is_object() || !a.contains("serviceId") || !a["serviceId"].is_string() || !a.contains("databaseId") ||
      !a["databaseId"].is_string()) {
    return;
  }
  const std::string id = a["serviceId"].get<std::string>();
  if (id == service_id_) return;
  {
    std::lock_guard lock(mutex_);
    if (a.value("leaving", false)) {
      peers_.erase(id);
    } else {
      if (peers_.count(id) == 0) {
        announce_now_ = true;
        wake_.notify_all();
      }
      const auto where = a.find("database");
      peers_[id] = Peer{a["databaseId"].get<std::string>(),
                        where != a.end() && where->is_string() ? where->get<std::string>() : "?", at};
    }
  }
  judge(at);
}

void DatabaseAgreement::judge(std::chrono::steady_clock::time_point now) {
  std::string disagreement;
  {
    std::lock_guard lock(mutex_);
    const auto expiry = std::chrono::duration_cast<std::chrono::steady_clock::duration>(period_ * kExpiryPeriods);
    for (auto it = peers_.begin(); it != peers_.end();) {
      it = now - it->second.last_heard > expiry ? peers_.erase(it) : std::next(it);
    }
    if (!listened_) {
      listened_ = now - listening_since_ >= listening_;
      if (!listened_) return;
    }
    for (const auto& [id, peer] : peers_) {
      if (peer.database_id == identity_.id) continue;
      disagreement = "the services of group chat-service disagree on the database: this one uses " + identity_.id + " (" +
                     identity_.where + "), service " + id + " uses " + peer.database_id + " (" + peer.where +
                     "); stop or fix the odd one";
      break;
    }
  }
  auto log = obs::logger("service");
  if (disagreement.empty()) {
    if (!gate_.is_open()) log->info("serving: every service of the group uses database {}", identity_.id);
    gate_.open();
  } else {
    if (gate_.is_open() || gate_.reason() != disagreement) log->error("not serving: {}", disagreement);
    gate_.close(std::move(disagreement));
  }
}

void DatabaseAgreement::announce_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    announce_now_ = false;
    lock.unlock();
    if (auto published = nats_.publish(kDatabaseSubject, announcement(false)); !published) {
      obs::logger("service")->warn("database identity not announced err={}", published.error().message);
    }
    judge(std::chrono::steady_clock::now());
    lock.lock();
    wake_.wait_for(lock, period_, [&] { return stopping_ || announce_now_; });
  }
}

}  // namespace parkchat::service
