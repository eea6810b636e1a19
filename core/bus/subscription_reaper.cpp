#include "core/bus/subscription_reaper.hpp"

#include <chrono>

namespace parkchat::bus {
namespace {

// A flush that fails (NATS unreachable) is tried again after this; the subscriptions wait.
constexpr auto kRetryAfterFailedFlush = std::chrono::milliseconds(500);
constexpr int64_t kFlushTimeoutMs = 2000;

void free_all(std::vector<natsSubscription*>& subs) {
  for (natsSubscription* sub : subs) natsSubscription_Destroy(sub);
  subs.clear();
}

}  // namespace

SubscriptionReaper::SubscriptionReaper(natsConnection* conn) : conn_(conn), thread_([this] { run(); }) {}

SubscriptionReaper::~SubscriptionReaper() {
  stop();
  free_remaining();
}

void SubscriptionReaper::retire(natsSubscription* sub) {
  if (sub == nullptr) return;
  {
    std::lock_guard lock(mutex_);
    if (!stopped_) {
      waiting_.push_back(sub);
      wake_.notify_one();
      return;
    }
  }
  // The connection is closed and its read loop joined: nothing can hold the subscription.
  natsSubscription_Destroy(sub);
}

void SubscriptionReaper::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void SubscriptionReaper::free_remaining() {
  std::vector<natsSubscription*> left;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    left.swap(waiting_);
  }
  free_all(left);
}

std::size_t SubscriptionReaper::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

void SubscriptionReaper::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
    if (stopping_) return;
    // Everything retired so far was unsubscribed before this flush starts; what is retired while
    // it runs waits for the next one.
    std::vector<natsSubscription*> batch;
    batch.swap(waiting_);
    lock.unlock();
    const bool flushed = natsConnection_FlushTimeout(conn_, kFlushTimeoutMs) == NATS_OK;
    if (flushed) free_all(batch);
    lock.lock();
    if (!flushed) {
      waiting_.insert(waiting_.end(), batch.begin(), batch.end());
      wake_.wait_for(lock, kRetryAfterFailedFlush, [this] { return stopping_; });
    }
  }
}

}  // namespace parkchat::bus
