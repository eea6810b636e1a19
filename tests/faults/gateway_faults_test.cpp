// Gateways that die under load: two gateway processes share one NATS and one service; simulate
// spreads its clients over both (--url A,B) and owes every acknowledged message to every member
// for the whole run. One gateway then goes, by SIGTERM (a rolling restart) or kill -9 (a
// crash): its clients reconnect to the other, rejoin, catch up from history and resend what
// was not acknowledged.

#include <gtest/gtest.h>

#include "tests/support/background_simulation.hpp"
#include "tests/support/deployment.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "gateway-faults-secret";

DeploymentOptions two_gateways(const ScratchDatabase& db) {
  DeploymentOptions options;
  options.nats_url = TestStack::get().nats_url();
  options.database_url = db.url();
  options.jwt_secret = kSecret;
  return options;
}


TEST(GatewayFaults, KillNineOfAGatewayLosesNothingAcknowledged) {
  ScratchDatabase db;
  Deployment d(two_gateways(db));
  ASSERT_TRUE(d.started()) << d.logs();
  BackgroundSimulation sim(fault_load(12), d.gateway_urls(), kSecret);
  wait_for_sends(d.gateway(0), 400);
  d.gateway(0).kill();
  const auto report = sim.finish(180s);
  expect_nothing_lost("kill -9 of one of two gateways", report, sim.output() + "\n" + d.logs());
  EXPECT_GT(report["messages"].value("caughtUpFromHistory", 0) + report["messages"].value("resent", 0), 0)
      << "the fault cost the clients nothing to mend?\n" << sim.output();
}

TEST(GatewayFaults, SigtermOfAGatewayCostsItsClientsOnlyAReconnect) {
  ScratchDatabase db;
  Deployment d(two_gateways(db));
  ASSERT_TRUE(d.started()) << d.logs();
  BackgroundSimulation sim(fault_load(12), d.gateway_urls(), kSecret);
  wait_for_sends(d.gateway(0), 400);
  EXPECT_EQ(d.gateway(0).stop(), 0) << d.logs();
  const auto report = sim.finish(180s);
  expect_nothing_lost("SIGTERM of one of two gateways", report, sim.output() + "\n" + d.logs());
}

}  // namespace
}  // namespace parkchat::testing
