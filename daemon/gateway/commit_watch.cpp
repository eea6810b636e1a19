#include "daemon/gateway/commit_watch.hpp"

#include "core/chat/commit_notice.hpp"
#include "core/chat/subjects.hpp"

namespace parkchat::gateway {

CommitWatch::CommitWatch(std::chrono::milliseconds patience, std::size_t remembered)
    : patience_(patience), recent_(remembered), expirer_([this] { expire_loop(); }) {}

CommitWatch::~CommitWatch() {
  if (notices_) notices_->close();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  expirer_.join();
}

Result<void> CommitWatch::follow(bus::NatsClient& nats) {
  auto sub = nats.subscribe(chat::kCommittedSubject, "",
                            [this](bus::MsgPtr msg) { committed(chat::ids_of(bus::payload(msg.get()))); });
  if (!sub) return tl::unexpected(sub.error());
  notices_.emplace(std::move(*sub));
  return {};
}

void CommitWatch::await(const std::string& id, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (!recent_.contains(id)) {
      const auto deadline = std::chrono::steady_clock::now() + patience_;
      waiting_[id].push_back({std::move(done), deadline});
      waiting_count_.fetch_add(1, std::memory_order_relaxed);
      deadlines_.emplace_back(deadline, id);
      if (deadlines_.size() == 1) wake_.notify_all();
      return;
    }
  }
  done(true);
}

void CommitWatch::committed(const std::vector<std::string>& ids) {
  std::vector<Done> ready;
  {
    std::lock_guard lock(mutex_);
    for (const std::string& id : ids) {
      recent_.insert(id);
      auto it = waiting_.find(id);
      if (it == waiting_.end()) continue;
      for (auto& waiter : it->second) ready.push_back(std::move(waiter.done));
      waiting_count_.fetch_sub(it->second.size(), std::memory_order_relaxed);
      waiting_.erase(it);
    }
  }
  for (auto& done : ready) done(true);
}

void CommitWatch::expire_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (deadlines_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const auto [deadline, id] = deadlines_.front();
    if (std::chrono::steady_clock::now() < deadline) {
      wake_.wait_until(lock, deadline);
      continue;
    }
    deadlines_.pop_front();
    // The id's waiters that are due (a later await of the same id has a later deadline).
    std::vector<Done> expired;
    if (auto it = waiting_.find(id); it != waiting_.end()) {
      auto& waiters = it->second;
      for (auto w = waiters.begin(); w != waiters.end();) {
        if (w->deadline <= deadline) {
          expired.push_back(std::move(w->done));
          w = waiters.erase(w);
          waiting_count_.fetch_sub(1, std::memory_order_relaxed);
        } else {
          ++w;
        }
      }
      if (waiters.empty()) waiting_.erase(it);
    }
    lock.unlock();
    for (auto& done : expired) done(false);
    lock.lock();
  }
}

}  // namespace parkchat::gateway
