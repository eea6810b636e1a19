// What parkchat depends on fails under load: PostgreSQL stopped at once for 30 s (`pg_ctl -m
// immediate`: SIGQUIT to the postmaster) and started again, crash recovery included;
// PostgreSQL unreachable for 60 s (every connection of the services reset, new ones refused,
// through a FaultProxy) with the processes' memory sampled; and nats-server killed (-9) and
// started again on its port and store. Sends are refused UNAVAILABLE while they cannot be held
// and resent by the clients; nothing acknowledged is lost, doubled or missing from history.

#include <signal.h>

#include <iostream>
#include <thread>

#include <gtest/gtest.h>

#include "core/bus/nats_client.hpp"
#include "core/bus/streams.hpp"
#include "core/embedded/nats_server.hpp"
#include "core/embedded/postgres_server.hpp"
#include "tests/support/background_simulation.hpp"
#include "tests/support/deployment.hpp"
#include "tests/support/fault_proxy.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "dependency-faults-secret";


// Messages the persisters have not yet stored: the chat-service consumer's pending and
// unacknowledged, or -1 when the stream cannot say.
std::int64_t persister_backlog(bus::NatsClient& nats) {
  auto streams = bus::report_streams(nats);
  if (!streams) return -1;
  for (const auto& stream : *streams) {
    for (const auto& consumer : stream.consumers) {
      if (stream.name == bus::kMessagesStream && consumer.name == "chat-service") {
        return static_cast<std::int64_t>(consumer.pending) + consumer.ack_pending;
      }
    }
  }
  return -1;
}

TEST(DependencyFaults, PostgresStoppedImmediatelyFor30sLosesNothing) {
  // A server of our own, so that stopping it stops nobody else; back on its port and data.
  ScratchDir dir;
  auto run_as = embedded::service_user();
  ASSERT_TRUE(run_as);
  ReservedPort port;
  embedded::PostgresServerOptions pg_options;
  pg_options.data_dir = dir.path() / "pg";
  pg_options.password_file = dir.path() / "pg-password";
  pg_options.log_path = (dir.path() / "postgres.log").string();
  pg_options.run_as = *run_as;
  pg_options.port = port.port();
  auto postgres = embedded::PostgresServer::start(pg_options);
  ASSERT_TRUE(postgres) << postgres.error().message;

  DeploymentOptions options;
  options.nats_url = TestStack::get().nats_url();
  options.database_url = (*postgres)->url();
  options.jwt_secret = kSecret;
  options.gateways = 1;
  Deployment d(options);
  ASSERT_TRUE(d.started()) << d.logs();
  auto nats = bus::NatsClient::connect(options.nats_url, "dependency-faults-observer");
  ASSERT_TRUE(nats) << nats.error().message;
  BackgroundSimulation sim(fault_load(20), d.gateway_urls(), kSecret);
  wait_for_sends(d.gateway(0), 400);
  (*postgres)->stop_immediately();  // what pg_ctl stop -m immediate sends: SIGQUIT
  std::this_thread::sleep_for(30s);  // the fault itself, not a wait for anything
  const std::int64_t backlog = persister_backlog(**nats);
  const auto back_at = std::chrono::steady_clock::now();
  auto again = embedded::PostgresServer::start(pg_options);
  ASSERT_TRUE(again) << again.error().message;
  const auto started_at = std::chrono::steady_clock::now();
  // The backlog drains once the database is back (crash recovery included): most of it at
  // once, and what a pull cut short by the outage dropped once its ack wait has passed.
  std::optional<double> most_s;
  ASSERT_TRUE(wait_until(
      [&] {
        const std::int64_t left = persister_backlog(**nats);
        if (!most_s && left >= 0 && left * 100 <= backlog) {
          most_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
        }
        return left == 0;
      },
      120s))
      << d.logs();
  const auto seconds = [](auto span) { return std::chrono::duration<double>(span).count(); };
  const double drain_s = seconds(std::chrono::steady_clock::now() - started_at);
  std::cout << "[fault] PostgreSQL stopped immediately for 30 s: its start took " << seconds(started_at - back_at)
            << " s; then 99 % of a backlog of " << backlog << " messages was stored in " << most_s.value_or(-1) << " s ("
            << static_cast<long>(0.99 * static_cast<double>(backlog) / most_s.value_or(1))
            << " msg/s, the persister's reconnect included), all of it in " << drain_s << " s" << std::endl;
  const auto report = sim.finish(300s);
  expect_nothing_lost("PostgreSQL stopped (pg_ctl -m immediate) for 30 s", report, sim.output() + "\n" + d.logs());
  EXPECT_GT(backlog, 0) << "sends went on into the stream while the database was down";
}

// While the database is unreachable for a minute under load, what the processes hold stays
// bounded: the stream keeps the messages, not their memory.
TEST(DependencyFaults, PostgresUnreachableFor60sLosesNothingAndKeepsMemoryBounded) {
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
  BackgroundSimulation sim(fault_load(70), d.gateway_urls(), kSecret);
  wait_for_sends(d.gateway(0), 1600);  // steady: every client connected and chatting
  std::size_t steady_gateway = 0, steady_service = 0, peak_gateway = 0, peak_service = 0;
  for (int i = 0; i < 10; ++i) {  // 2 s of steady state, sampled
    steady_gateway = std::max(steady_gateway, resident_kib(d.gateway(0).pid()));
    steady_service = std::max(steady_service, resident_kib(d.service(0).pid()));
    std::this_thread::sleep_for(200ms);
  }
  postgres.reset_and_refuse(60s);
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < until) {  // sampling the fault, not waiting for it
    peak_gateway = std::max(peak_gateway, resident_kib(d.gateway(0).pid()));
    peak_service = std::max(peak_service, resident_kib(d.service(0).pid()));
    std::this_thread::sleep_for(200ms);
  }
  std::cout << "[fault] PostgreSQL unreachable for 60 s: RSS gateway " << steady_gateway / 1024 << " MiB steady, "
            << peak_gateway / 1024 << " MiB at most; service " << steady_service / 1024 << " MiB steady, "
            << peak_service / 1024 << " MiB at most" << std::endl;
  EXPECT_LE(peak_gateway, 2 * steady_gateway);
  EXPECT_LE(peak_service, 2 * steady_service);
  const auto report = sim.finish(300s);
  expect_nothing_lost("PostgreSQL unreachable for 60 s", report, sim.output() + "\n" + d.logs());
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
