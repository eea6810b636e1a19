#include "tests/support/nats_cluster.hpp"

#include <signal.h>

#include <chrono>
#include <thread>

#include "core/bus/nats_client.hpp"
#include "core/bus/streams.hpp"
#include "core/embedded/child_process.hpp"

namespace parkchat::testing {

NatsCluster::NatsCluster(int size) : members_(static_cast<std::size_t>(size)) {
  for (std::size_t i = 0; i < members_.size(); ++i) members_[i].name = "n" + std::to_string(i + 1);
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (!start(i)) return;
  }
  // Members accept clients before JetStream has elected its meta leader; until then every
  // JetStream request fails. Ready once the account can be read.
  auto client = bus::NatsClient::connect(url(), "cluster-check");
  if (!client) {
    error_ = client.error().message;
    return;
  }
  const auto give_up_at = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!bus::jetstream_ready(**client)) {
    if (std::chrono::steady_clock::now() > give_up_at) {
      error_ = "the JetStream cluster on " + url() + " elected no leader within 60 s";
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  started_ = true;
}

NatsCluster::~NatsCluster() {
  for (auto& member : members_) {
    if (member.server) member.server->stop();
  }
}

std::string NatsCluster::url() const {
  std::string text;
  for (const auto& member : members_) {
    text += (text.empty() ? "" : ",") + std::string("nats://127.0.0.1:") + std::to_string(member.client_port.port());
  }
  return text;
}

std::size_t NatsCluster::index_of(const std::string& server_name) const {
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].name == server_name) return i;
  }
  return members_.size();
}

embedded::NatsServerOptions NatsCluster::options_for(std::size_t member) const {
  embedded::NatsServerOptions options;
  const Member& m = members_.at(member);
  options.store_dir = dir_.path() / m.name;
  options.log_path = (dir_.path() / (m.name + ".log")).string();
  if (auto run_as = embedded::service_user(); run_as && *run_as) options.run_as = **run_as;
  options.port = m.client_port.port();
  embedded::NatsServerOptions::ClusterMember cluster;
  cluster.server_name = m.name;
  cluster.cluster_name = "parkchat-test";
  cluster.route_port = m.route_port.port();
  for (const auto& other : members_) {
    if (&other != &m) cluster.peer_route_ports.push_back(other.route_port.port());
  }
  options.cluster = cluster;
  return options;
}

void NatsCluster::kill(std::size_t member) {
  auto& server = members_.at(member).server;
  if (!server) return;
  ::kill(server->pid(), SIGKILL);
  server->stop();  // reaps it
  server.reset();
}

bool NatsCluster::start(std::size_t member) {
  auto server = embedded::NatsServer::start(options_for(member));
  if (!server) {
    error_ = members_.at(member).name + ": " + server.error().message;
    return false;
  }
  members_.at(member).server = std::move(*server);
  return true;
}

}  // namespace parkchat::testing
