// What parkchat depends on fails under load: PostgreSQL unreachable for 30 s (every connection
// of the services reset, new ones refused, through a FaultProxy: as `pg_ctl -m immediate` and a
// start, seen from parkchat), and nats-server killed (-9) and started again on its port and
// store. Sends are refused UNAVAILABLE while they cannot be held and resent by the clients;
// nothing acknowledged is lost, doubled or missing from history.

#include <signal.h>

#include <thread>

#include <gtest/gtest.h>

#include "core/embedded/nats_server.hpp"
#include "tests/support/background_simulation.hpp"
#include "tests/support/deployment.hpp"
#include "tests/support/fault_proxy.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "dependency-faults-secret";


TEST(DependencyFaults, PostgresUnreachableFor30sLosesNothing) {
  ScratchDatabase db;
  FaultProxy postgres(database_port(db.url()));
  DeploymentOptions options;
  options.nats_url = TestStack::get().nats_url();
  options.database_url = db.url();
  options.service_database_url = with_database_port(db.url(), postgres.port());
  options.jwt_secret = kSecret;
  options.gateways = 1;
  Deployment d(options);
  ASSERT_TRUE(d.started()) << d.logs();
  BackgroundSimulation sim(fault_load(20), d.gateway_urls(), kSecret);
  wait_for_sends(d.gateway(0), 400);
  postgres.reset_and_refuse(30s);
  const auto report = sim.finish(300s);
  expect_nothing_lost("PostgreSQL unreachable for 30 s", report, sim.output() + "\n" + d.logs());
  EXPECT_GT(postgres.connections_reset(), 0u);
}

TEST(DependencyFaults, NatsServerKilledAndRestartedLosesNothing) {
  ScratchDir dir;
  auto run_as = embedded::service_user();
  ASSERT_TRUE(run_as);
  // Back on the same port and store, where every process's client expects it; while it is
  // down the port stays ours.
  ReservedPort port;
  embedded::NatsServerOptions nats_options;
  nats_options.store_dir = dir.path() / "nats";
  nats_options.log_path = (dir.path() / "nats.log").string();
  nats_options.run_as = *run_as;
  nats_options.port = port.port();
  auto nats = embedded::NatsServer::start(nats_options);
  ASSERT_TRUE(nats) << nats.error().message;
  std::unique_ptr<embedded::NatsServer> restarted;

  ScratchDatabase db;
  DeploymentOptions options;
  options.nats_url = (*nats)->url();
  options.database_url = db.url();
  options.jwt_secret = kSecret;
  Deployment d(options);
  ASSERT_TRUE(d.started()) << d.logs();
  BackgroundSimulation sim(fault_load(15), d.gateway_urls(), kSecret);
  wait_for_sends(d.gateway(0), 400);
  ::kill((*nats)->pid(), SIGKILL);
  (*nats)->stop();  // reaps it
  auto again = embedded::NatsServer::start(nats_options);
  ASSERT_TRUE(again) << again.error().message;
  restarted = std::move(*again);
  const auto report = sim.finish(300s);
  expect_nothing_lost("nats-server kill -9 and restart", report, sim.output() + "\n" + d.logs());
}

}  // namespace
}  // namespace parkchat::testing
