// NATS as a cluster under load: three JetStream servers on loopback, the streams kept in three
// copies (`serve --stream-replicas 3`), two gateways and two services connected to all three.
// The messages stream's leader is killed (-9): another server leads it and sending goes on.
// Then a second server is killed: with one of three left there is no quorum, so sends are
// refused UNAVAILABLE and resent by the clients, never acknowledged and dropped. The servers
// come back and sending resumes by itself; nothing acknowledged is lost, doubled or missing
// from history.

#include <thread>

#include <gtest/gtest.h>

#include "core/bus/nats_client.hpp"
#include "core/bus/streams.hpp"
#include "tests/support/background_simulation.hpp"
#include "tests/support/deployment.hpp"
#include "tests/support/nats_cluster.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "cluster-faults-secret";

// The server leading CHAT_MESSAGES as the cluster says now, "" when it has none or cannot say.
std::string messages_leader(bus::NatsClient& nats) {
  auto streams = bus::report_streams(nats);
  if (!streams) return "";
  for (const auto& stream : *streams) {
    if (stream.name == bus::kMessagesStream) return stream.leader;
  }
  return "";
}

TEST(ClusterFaults, StreamLeaderKilledThenASecondServerLosesNothing) {
  NatsCluster cluster(3);
  ASSERT_TRUE(cluster.started()) << cluster.error();
  ScratchDatabase db;
  DeploymentOptions options;
  options.nats_url = cluster.url();
  options.database_url = db.url();
  options.jwt_secret = kSecret;
  options.gateways = 2;
  options.services = 2;
  options.extra_args = {"--stream-replicas", "3"};
  Deployment d(options);
  ASSERT_TRUE(d.started()) << d.logs();

  auto observer = bus::NatsClient::connect(cluster.url(), "cluster-faults-observer");
  ASSERT_TRUE(observer) << observer.error().message;
  auto streams = bus::report_streams(**observer);
  ASSERT_TRUE(streams) << streams.error().message;
  for (const auto& stream : *streams) {
    EXPECT_EQ(stream.replicas, 3) << stream.name;
    EXPECT_EQ(stream.peers.size(), 2u) << stream.name << " is led by " << stream.leader << " with two copies elsewhere";
  }

  BackgroundSimulation sim(fault_load(30), d.gateway_urls(), kSecret);
  wait_for_sends(d.gateway(0), 400);
  const std::string leader = messages_leader(**observer);
  const std::size_t first = cluster.index_of(leader);
  ASSERT_LT(first, cluster.size()) << "no leader named: '" << leader << "'";
  cluster.kill(first);
  // Another server takes the lead, and the gateways' sends go on through it.
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string now = messages_leader(**observer);
        return !now.empty() && now != leader;
      },
      30s))
      << "no new leader after " << leader << " was killed\n" << d.logs();
  const double sent = metric_sum(d.gateway(0).port(), "parkchat_messages_sent_total") +
                      metric_sum(d.gateway(1).port(), "parkchat_messages_sent_total");
  ASSERT_TRUE(wait_until(
      [&] {
        return metric_sum(d.gateway(0).port(), "parkchat_messages_sent_total") +
                   metric_sum(d.gateway(1).port(), "parkchat_messages_sent_total") >=
               sent + 300;
      },
      30s))
      << "sending did not go on after the leader " << leader << " was killed\n" << d.logs();

  // One of three left: no quorum. The fault itself lasts 6 s; nothing is awaited.
  const std::size_t second = (first + 1) % cluster.size();
  cluster.kill(second);
  std::this_thread::sleep_for(6s);
  ASSERT_TRUE(cluster.start(first)) << cluster.error();
  ASSERT_TRUE(cluster.start(second)) << cluster.error();

  const auto report = sim.finish(300s);
  expect_nothing_lost("NATS cluster: stream leader killed, then a second of three servers", report,
                      sim.output() + "\n" + d.logs());
  const auto& errors = report.value("errors", nlohmann::json::object());
  EXPECT_GT(errors.value("UNAVAILABLE (resent)", 0) + errors.value("NO ACK (resent)", 0), 0)
      << "with two of three servers down no send was refused?\n" << sim.output();
}

}  // namespace
}  // namespace parkchat::testing
