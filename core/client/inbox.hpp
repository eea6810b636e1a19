#pragma once
// What a client's loop thread hands to the thread that reads it: the socket's callbacks only
// queue what happened; the caller's thread takes it all at once, does the blocking work (REST
// calls), and can be told from any thread to stop waiting.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace parkchat::client {

template <typename Item>
class Inbox {
 public:
  void push(Item item) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      items_.push_back(std::move(item));
    }
    changed_.notify_all();
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    changed_.notify_all();
  }

  // Everything queued, waiting until `deadline` for something to come; nullopt once stopped.
  // An empty batch means the deadline passed.
  std::optional<std::deque<Item>> take(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_until(lock, deadline, [&] { return stopped_ || !items_.empty(); });
    if (stopped_) return std::nullopt;
    std::deque<Item> batch;
    batch.swap(items_);
    return batch;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Item> items_;
  bool stopped_ = false;
};

}  // namespace parkchat::client
