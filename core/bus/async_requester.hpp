#pragma once
// Request/reply without a blocked thread per request: one inbox subscription receives every
// reply, each request waits in a table until its reply, a "no responders" notice, or its
// deadline. NATS down or no service: UNAVAILABLE at once. Replies are reported on a nats.c
// thread, timeouts on the requester's timer thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/bus/nats_client.hpp"

namespace parkchat::bus {

class AsyncRequester {
 public:
  using Reply = std::function<void(Result<std::string> reply)>;

  // `nats` must outlive the requester.
  static Result<std::unique_ptr<AsyncRequester>> open(NatsClient& nats);
  // Every request still waiting is answered UNAVAILABLE.
  ~AsyncRequester();

  // Sends `data` to `subject`; `reply` is called exactly once.
  void request(const std::string& subject, std::string_view data, std::chrono::milliseconds timeout, Reply reply);
  std::size_t pending() const;

 private:
  struct Pending {
    Reply reply;
    std::string subject;
    std::chrono::steady_clock::time_point deadline;
  };
  explicit AsyncRequester(NatsClient& nats) : nats_(nats) {}
  void on_reply(MsgPtr msg);
  void expire_loop();
  std::optional<Pending> take(std::uint64_t id);

  NatsClient& nats_;
  std::string inbox_;
  std::optional<Subscription> sub_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::uint64_t, Pending> pending_;
  std::uint64_t next_id_ = 1;
  bool stopping_ = false;
  std::thread timer_;
};

}  // namespace parkchat::bus
