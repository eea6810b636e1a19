// The network between clients and their gateway fails under load: every connection reset and
// new ones refused for 2 s, or every byte held (no reset) for 5 s. simulate's clients reach the
// gateway through a FaultProxy and owe every acknowledged message to every member throughout.

#include <gtest/gtest.h>

#include "tests/support/background_simulation.hpp"
#include "tests/support/deployment.hpp"
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
  ServeProcess serve;
  FaultProxy proxy;
};

TEST(NetworkFaults, EveryClientConnectionResetAndRefusedFor2sLosesNothing) {
  ScratchDatabase db;
  Behind b(db);
  ASSERT_FALSE(b.serve.url().empty());
  BackgroundSimulation sim(load(), {b.proxy.url()}, kSecret);
  wait_for_sends(b.serve, 500);
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
  wait_for_sends(b.serve, 500);
  const double delivered_before = metric_sum(b.serve.port(), "parkchat_deliveries_total");
  b.proxy.blackhole(5s);
  const auto report = sim.finish(180s);
  expect_nothing_lost("client connections blackholed for 5 s", report, sim.output() + "\n" + b.serve.log());
  EXPECT_GT(metric_sum(b.serve.port(), "parkchat_deliveries_total"), delivered_before);
}

// One gateway loses NATS for 5 s while its sockets stay up; the other gateway's clients go on
// sending. What was stored meanwhile never reached the first gateway's room subscriptions: it
// replays it from the stream once NATS is back.
TEST(NetworkFaults, AGatewaysNatsLinkCutFor5sLosesNothingForItsSockets) {
  ScratchDatabase db;
  FaultProxy nats_link(std::stoi(TestStack::get().nats_url().substr(TestStack::get().nats_url().rfind(':') + 1)));
  DeploymentOptions options;
  options.nats_url = TestStack::get().nats_url();
  options.database_url = db.url();
  options.jwt_secret = kSecret;
  options.gateway_nats_urls = {"nats://127.0.0.1:" + std::to_string(nats_link.port())};
  options.extra_args = {"--log-level", "info"};  // the replay says what it did
  Deployment d(options);
  ASSERT_TRUE(d.started()) << d.logs();
  BackgroundSimulation sim(load(), d.gateway_urls(), kSecret);
  ASSERT_TRUE(wait_until([&] { return metric_sum(d.gateway(0).port(), "parkchat_messages_sent_total") >= 300; }, 60s))
      << d.logs();
  nats_link.reset_and_refuse(5s);
  const auto report = sim.finish(180s);
  expect_nothing_lost("a gateway's NATS link cut for 5 s", report, sim.output() + "\n" + d.logs());
  EXPECT_GT(metric_sum(d.gateway(0).port(), "parkchat_nats_reconnects_total"), 0) << d.logs();
  // What the other gateway's clients sent meanwhile came to this one's sockets from the stream.
  const std::string log = d.gateway(0).log();
  EXPECT_NE(log.find("replayed after the NATS outage"), std::string::npos) << log;
  EXPECT_EQ(log.find("messages=0"), std::string::npos) << log;
}

}  // namespace
}  // namespace parkchat::testing
