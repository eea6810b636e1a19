// Services that fail under load: two service processes share the chat-service queue group and
// the persister's and notifier's durable consumers; one of them is killed (-9), or stopped for
// 20 s and continued. Requests it held time out and are asked again, the messages it had pulled
// but not stored are delivered again to the other once their ack wait ends, and nothing
// acknowledged is lost, doubled or missing from history.

#include <signal.h>

#include <thread>

#include <gtest/gtest.h>

#include "tests/support/background_simulation.hpp"
#include "tests/support/deployment.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "service-faults-secret";

DeploymentOptions two_services(const ScratchDatabase& db) {
  DeploymentOptions options;
  options.nats_url = TestStack::get().nats_url();
  options.database_url = db.url();
  options.jwt_secret = kSecret;
  options.gateways = 1;
  options.services = 2;
  return options;
}


TEST(ServiceFaults, KillNineOfOneOfTwoServicesLosesNothing) {
  ScratchDatabase db;
  Deployment d(two_services(db));
  ASSERT_TRUE(d.started()) << d.logs();
  BackgroundSimulation sim(fault_load(12), d.gateway_urls(), kSecret);
  wait_for_sends(d.gateway(0), 400);
  d.service(0).kill();
  const auto report = sim.finish(240s);
  expect_nothing_lost("kill -9 of one of two services", report, sim.output() + "\n" + d.logs());
}

TEST(ServiceFaults, OneOfTwoServicesStoppedFor20sLosesNothing) {
  ScratchDatabase db;
  Deployment d(two_services(db));
  ASSERT_TRUE(d.started()) << d.logs();
  BackgroundSimulation sim(fault_load(12), d.gateway_urls(), kSecret);
  wait_for_sends(d.gateway(0), 400);
  d.service(0).signal(SIGSTOP);
  std::this_thread::sleep_for(20s);  // the fault itself, not a wait for anything
  d.service(0).signal(SIGCONT);
  const auto report = sim.finish(240s);
  expect_nothing_lost("SIGSTOP of one of two services for 20 s", report, sim.output() + "\n" + d.logs());
}

}  // namespace
}  // namespace parkchat::testing
