#pragma once
// Whether this process's service role may work: serve requests, store messages, push
// notifications. Closed, with the reason, while the services of the group disagree on the
// database (DatabaseAgreement); the request handlers then answer UNAVAILABLE with the reason,
// and the persister and notifier leave their messages to be delivered again later.

#include <atomic>
#include <mutex>
#include <string>

namespace parkchat::service {

class ServiceGate {
 public:
  bool is_open() const { return open_.load(std::memory_order_acquire); }
  std::string reason() const {
    std::lock_guard lock(mutex_);
    return reason_;
  }
  void close(std::string reason) {
    std::lock_guard lock(mutex_);
    reason_ = std::move(reason);
    open_.store(false, std::memory_order_release);
  }
  void open() {
    std::lock_guard lock(mutex_);
    reason_.clear();
    open_.store(true, std::memory_order_release);
  }

 private:
  std::atomic<bool> open_{true};
  mutable std::mutex mutex_;
  std::string reason_;
};

}  // namespace parkchat::service
