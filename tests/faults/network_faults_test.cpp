// The network between clients and their gateway fails under load: every connection reset and
// new ones refused for 2 s, or every byte held (no reset) for 5 s. simulate's clients reach the
// gateway through a FaultProxy and owe every acknowledged message to every member throughout.

#include <gtest/gtest.h>

#include "tests/support/background_simulation.hpp"
#include "tests/support/fault_proxy.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "network-faults-secret";

nlohmann::json load() {
  return {{"name", "through a failing network"}, {"clients", 200}, {"roomSize", 10}, {"rampUp", "1s"},
          {"duration", "14s"}, {"ratePerClient", 2}, {"messageBytes", 64}, {"restShare", 0.1}};
}

struct Behind {
  explicit Behind(const ScratchDatabase& db)
      : serve({"--nats-url", TestStack::get().nats_url(), "--database-url", db.url(), "--jwt-secret", kSecret, "--threads",
               "2"}),
        proxy(serve.port()) {}
  // Once the clients are chatting through the proxy, so that the fault falls mid-run.
  void wait_for_traffic() {
    ASSERT_TRUE(wait_until([&] { return metric_sum(serve.port(), "parkchat_messages_sent_total") >= 500; }, 60s))
        << serve.log();
  }
  ServeProcess serve;
  FaultProxy proxy;
};

TEST(NetworkFaults, EveryClientConnectionResetAndRefusedFor2sLosesNothing) {
  ScratchDatabase db;
  Behind b(db);
  ASSERT_FALSE(b.serve.url().empty());
  BackgroundSimulation sim(load(), {b.proxy.url()}, kSecret);
  b.wait_for_traffic();
  b.proxy.reset_and_refuse(2s);
  const auto report = sim.finish(180s);
  expect_nothing_lost("client connections reset and refused for 2 s", report, sim.output() + "\n" + b.serve.log());
  EXPECT_GE(b.proxy.connections_reset(), 200u) << "the fault reached every client socket";
  EXPECT_GT(report["messages"].value("caughtUpFromHistory", 0), 0) << sim.output();
}

TEST(NetworkFaults, A5sBlackholeOfEveryClientConnectionLosesNothing) {
  ScratchDatabase db;
  Behind b(db);
  ASSERT_FALSE(b.serve.url().empty());
  BackgroundSimulation sim(load(), {b.proxy.url()}, kSecret);
  b.wait_for_traffic();
  const double delivered_before = metric_sum(b.serve.port(), "parkchat_deliveries_total");
  b.proxy.blackhole(5s);
  const auto report = sim.finish(180s);
  expect_nothing_lost("client connections blackholed for 5 s", report, sim.output() + "\n" + b.serve.log());
  EXPECT_GT(metric_sum(b.serve.port(), "parkchat_deliveries_total"), delivered_before);
}

}  // namespace
}  // namespace parkchat::testing
