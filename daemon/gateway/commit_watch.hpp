#pragma once
// Which messages are committed in PostgreSQL, for `serve --ack-after stored`: a send is
// acknowledged once its row is, so that the ack survives an OS crash of the NATS servers.
//
// The persisters announce each transaction's ids on chat.messages.committed (one notice per
// batch, core/chat/subjects.hpp); one subscription per gateway process feeds this watch, and
// each shard awaits the ids of its sends. A notice may come before the stream's ack of the
// publish, so the last committed ids are remembered. A notice can be missed (the gateway's NATS
// connection was down, or the message was stored before this process started): after
// `patience` a waiter hears `false`, and the gateway asks the service instead.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/base/recent_ids.hpp"
#include "core/bus/nats_client.hpp"

namespace parkchat::gateway {

class CommitWatch {
 public:
  // `committed`: true once the id was announced, false when `patience` passed first. Runs on a
  // nats.c thread, the watch's timer thread or the caller's (when the id is known already).
  using Done = std::function<void(bool committed)>;

  explicit CommitWatch(std::chrono::milliseconds patience, std::size_t remembered = 200'000);
  ~CommitWatch();
  CommitWatch(const CommitWatch&) = delete;
  CommitWatch& operator=(const CommitWatch&) = delete;

  // Follows chat.messages.committed on `nats` (which must outlive the watch).
  Result<void> follow(bus::NatsClient& nats);
  // Calls `done` once `id` is committed, at once when it was announced already.
  void await(const std::string& id, Done done);
  // A notice's ids are committed.
  void committed(const std::vector<std::string>& ids);
  // Waiters now; lock-free, for a check on every send.
  std::size_t waiting() const { return waiting_count_.load(std::memory_order_relaxed); }

 private:
  struct Waiter {
    Done done;
    std::chrono::steady_clock::time_point deadline;
  };
  void expire_loop();

  const std::chrono::milliseconds patience_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  RecentIds recent_;
  std::unordered_map<std::string, std::vector<Waiter>> waiting_;
  // Ids in the order they began waiting (all wait equally long, so also by deadline).
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> deadlines_;
  std::atomic<std::size_t> waiting_count_{0};
  bool stopping_ = false;
  std::optional<bus::Subscription> notices_;
  std::thread expirer_;
};

}  // namespace parkchat::gateway
