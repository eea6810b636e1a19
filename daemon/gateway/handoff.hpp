#pragma once
// Items from other threads (nats.c's) for the Asio thread, in batches: one post, and so at most
// one wake-up, for whatever arrived while the last batch waited or ran. Order is kept.

#include <chrono>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace parkchat::gateway {

template <class Item>
class Handoff {
 public:
  using Clock = std::chrono::steady_clock;
  // `post` runs a task on the Asio thread; `handle` gets each batch there, with the time its
  // oldest item arrived.
  Handoff(std::function<void(std::function<void()>)> post,
          std::function<void(std::vector<Item>& batch, Clock::time_point oldest)> handle)
      : post_(std::move(post)), handle_(std::move(handle)) {}

  // From any thread.
  void push(Item item) {
    bool first = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      first = items_.empty();
      if (first) oldest_ = Clock::now();
      items_.push_back(std::move(item));
    }
    if (first) post_([this] { drain(); });
  }

 private:
  void drain() {
    std::vector<Item> batch;
    Clock::time_point oldest;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      batch.swap(items_);
      oldest = oldest_;
    }
    handle_(batch, oldest);
  }

  std::function<void(std::function<void()>)> post_;
  std::function<void(std::vector<Item>&, Clock::time_point)> handle_;
  std::mutex mutex_;
  std::vector<Item> items_;
  Clock::time_point oldest_;
};

}  // namespace parkchat::gateway
