#pragma once
// A real nats-server with JetStream, started on a free loopback port with its store in a
// directory of ours, and stopped with SIGTERM (also by the kernel when we die).

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/error.hpp"
#include "core/embedded/child_process.hpp"

namespace parkchat::embedded {

struct NatsServerOptions {
  std::filesystem::path store_dir;  // JetStream store
  std::string log_path;
  std::optional<RunAs> run_as;
  int port = 0;  // 0: a free port; otherwise this one (to restart a server where clients expect it)
  // A member of a JetStream cluster on loopback: its name (unique in the cluster), the cluster's
  // name, its route port and the other members' route ports. Empty name: a lone server.
  struct ClusterMember {
    std::string server_name;
    std::string cluster_name;
    int route_port = 0;
    std::vector<int> peer_route_ports;
  };
  std::optional<ClusterMember> cluster;
};

class NatsServer {
 public:
  // Starts nats-server and returns once it accepts clients.
  static Result<std::unique_ptr<NatsServer>> start(const NatsServerOptions& options);

  const std::string& url() const { return url_; }
  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  // Stops the server and waits for it; idempotent.
  void stop();

 private:
  NatsServer(ChildProcess process, int port);
  ChildProcess process_;
  int port_;
  std::string url_;
};

}  // namespace parkchat::embedded
