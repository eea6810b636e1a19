// Gateways that die under load: two gateway processes share one NATS and one service; simulate
// spreads its clients over both (--url A,B) and owes every acknowledged message to every member
// for the whole run. One gateway then goes, by SIGTERM (a rolling restart) or kill -9 (a
// crash): its clients reconnect to the other, rejoin, catch up from history and resend what
// was not acknowledged.

#include <gtest/gtest.h>

#include "tests/support/background_simulation.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "gateway-faults-secret";

// 200 clients in rooms of 10 at 2 messages a second each, a tenth of them through REST.
nlohmann::json load() {
  return {{"name", "under a fault"}, {"clients", 200}, {"roomSize", 10}, {"rampUp", "1s"}, {"duration", "12s"},
          {"ratePerClient", 2}, {"messageBytes", 64}, {"restShare", 0.1}};
}

struct Deployment {
  explicit Deployment(const ScratchDatabase& db)
      : service(args(db, "service,notify,api")), a(args(db, "gateway,api")), b(args(db, "gateway,api")) {}
  static std::vector<std::string> args(const ScratchDatabase& db, const std::string& roles) {
    return {"--nats-url", TestStack::get().nats_url(), "--database-url", db.url(), "--jwt-secret", kSecret,
            "--roles", roles, "--threads", "1"};
  }
  std::string logs() { return "service:\n" + service.log() + "\ngateway A:\n" + a.log() + "\ngateway B:\n" + b.log(); }
  ServeProcess service;
  ServeProcess a;
  ServeProcess b;
};

// Waits until gateway `g` has carried `sends` messages, so that the fault falls mid-run.
void wait_for_traffic(ServeProcess& g, double sends) {
  ASSERT_TRUE(wait_until([&] { return metric_sum(g.port(), "parkchat_messages_sent_total") >= sends; }, 60s))
      << "no traffic through " << g.url() << "\n" << g.log();
}

TEST(GatewayFaults, KillNineOfAGatewayLosesNothingAcknowledged) {
  ScratchDatabase db;
  Deployment d(db);
  ASSERT_FALSE(d.a.url().empty() || d.b.url().empty() || d.service.url().empty());
  BackgroundSimulation sim(load(), {d.a.url(), d.b.url()}, kSecret);
  wait_for_traffic(d.a, 400);
  d.a.kill();
  const auto report = sim.finish(180s);
  expect_nothing_lost("kill -9 of one of two gateways", report, sim.output() + "\n" + d.logs());
  EXPECT_GT(report["messages"].value("caughtUpFromHistory", 0) + report["messages"].value("resent", 0), 0)
      << "the fault cost the clients nothing to mend?\n" << sim.output();
}

TEST(GatewayFaults, SigtermOfAGatewayCostsItsClientsOnlyAReconnect) {
  ScratchDatabase db;
  Deployment d(db);
  ASSERT_FALSE(d.a.url().empty() || d.b.url().empty() || d.service.url().empty());
  BackgroundSimulation sim(load(), {d.a.url(), d.b.url()}, kSecret);
  wait_for_traffic(d.a, 400);
  EXPECT_EQ(d.a.stop(), 0) << d.logs();
  const auto report = sim.finish(180s);
  expect_nothing_lost("SIGTERM of one of two gateways", report, sim.output() + "\n" + d.logs());
}

}  // namespace
}  // namespace parkchat::testing
