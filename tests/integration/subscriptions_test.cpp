// Subscriptions on a real nats-server: closing them while messages for them are arriving is safe,
// however many close at once (the race of nats-io/nats.c#637 that crashed the gateway when
// thousands of sockets left their rooms together), and what was retired is freed afterwards.
// Run under ASan (PARKCHAT_SANITIZE=address) a use after free fails here at once.

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "core/bus/nats_client.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kSubjects = 64;

std::string subject(int i) { return "reaper.test." + std::to_string(i); }

// Publishes to every subject as fast as it can until stopped.
class Flood {
 public:
  explicit Flood(bus::NatsClient& nats) : thread_([this, &nats] {
      for (int n = 0; !stop_; ++n) (void)nats.publish(subject(n % kSubjects), "x");
    }) {}
  ~Flood() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Waits (bounded) until the reaper has freed every retired subscription.
bool reaper_empties(const bus::NatsClient& nats) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (nats.reaper()->waiting() > 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

TEST(Subscriptions, ClosingWithoutWaitingUnderAFloodIsSafe) {
  // Shared delivery threads, as the gateway uses them.
  auto gateway = bus::NatsClient::connect(TestStack::get().nats_url(), "reaper-gateway", true);
  auto producer = bus::NatsClient::connect(TestStack::get().nats_url(), "reaper-producer");
  ASSERT_TRUE(gateway && producer);
  std::atomic<long> received{0};
  Flood flood(**producer);
  long cycles = 0;
  const auto until = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < until) {
    std::vector<bus::Subscription> subs;
    for (int i = 0; i < kSubjects; ++i) {
      auto sub = (*gateway)->subscribe(subject(i), "", [&received](bus::MsgPtr) { ++received; });
      ASSERT_TRUE(sub) << sub.error().message;
      subs.push_back(std::move(*sub));
    }
    // Let messages for all of them be in flight, then drop them all at once, as a storm of
    // leaving sockets does.
    (void)(*gateway)->flush(1s);
    for (auto& sub : subs) sub.close_without_waiting();
    ++cycles;
  }
  EXPECT_GT(received.load(), 0);
  EXPECT_GT(cycles, 10);
  EXPECT_TRUE(reaper_empties(**gateway)) << (*gateway)->reaper()->waiting() << " subscriptions never freed";
}

TEST(Subscriptions, CloseWaitsForTheLastHandlerCall) {
  auto nats = bus::NatsClient::connect(TestStack::get().nats_url(), "reaper-close");
  auto producer = bus::NatsClient::connect(TestStack::get().nats_url(), "reaper-close-producer");
  ASSERT_TRUE(nats && producer);
  Flood flood(**producer);
  for (int round = 0; round < 50; ++round) {
    std::atomic<bool> closed{false};
    std::atomic<int> after_close{0};
    auto sub = (*nats)->subscribe(subject(round % kSubjects), "", [&](bus::MsgPtr) {
      if (closed) ++after_close;
    });
    ASSERT_TRUE(sub);
    (void)(*nats)->flush(1s);
    sub->close();
    closed = true;
    // Nothing may run once close() has returned: the handler's captures are gone after it.
    (void)(*nats)->flush(1s);
    EXPECT_EQ(after_close.load(), 0);
  }
}

TEST(Subscriptions, ASubscriptionMayOutliveItsClient) {
  auto nats = bus::NatsClient::connect(TestStack::get().nats_url(), "reaper-outlive", true);
  ASSERT_TRUE(nats);
  auto sub = (*nats)->subscribe(subject(0), "", [](bus::MsgPtr) {});
  ASSERT_TRUE(sub);
  nats->reset();  // closes the connection; the subscription is freed when it goes
  sub->close_without_waiting();
  auto other = std::move(*sub);
  SUCCEED();
}

}  // namespace
}  // namespace parkchat::testing
