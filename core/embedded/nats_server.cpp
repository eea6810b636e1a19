#include "core/embedded/nats_server.hpp"

#include <signal.h>

#include <fstream>
#include <optional>
#include <thread>

#include <nats/nats.h>

#include "core/embedded/host.hpp"

namespace parkchat::embedded {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr int kPortAttempts = 3;

bool accepts_clients(const std::string& url) {
  natsOptions* options = nullptr;
  if (natsOptions_Create(&options) != NATS_OK) return false;
  natsOptions_SetURL(options, url.c_str());
  natsOptions_SetTimeout(options, 500);
  natsOptions_SetAllowReconnect(options, false);
  natsConnection* conn = nullptr;
  natsStatus status = natsConnection_Connect(&conn, options);
  natsConnection_Destroy(conn);
  natsOptions_Destroy(options);
  return status == NATS_OK;
}


}  // namespace

NatsServer::NatsServer(ChildProcess process, int port)
    : process_(std::move(process)), port_(port), url_("nats://127.0.0.1:" + std::to_string(port)) {}

Result<std::unique_ptr<NatsServer>> NatsServer::start(const NatsServerOptions& options) {
  auto binary = find_program({"nats-server"}, {"/usr/sbin", "/usr/local/bin", "/usr/local/sbin"});
  if (!binary) {
    return fail(Errc::unavailable, "nats-server not found on PATH or in /usr/sbin (apt-get install nats-server)");
  }
  if (auto prepared = prepare_dir(options.store_dir, options.run_as); !prepared) return tl::unexpected(prepared.error());

  for (int attempt = 1;; ++attempt) {
    // Held until the server answers, so the server that answers is ours.
    auto reservation = PortReservation::reserve_unless(options.port);
    if (!reservation) return tl::unexpected(reservation.error());
    const int port = *reservation ? (*reservation)->port() : options.port;
    SpawnOptions spawn;
    spawn.argv = {*binary, "-a", "127.0.0.1", "-p", std::to_string(port), "-js", "-sd", options.store_dir.string()};
    if (const auto& member = options.cluster) {
      std::string routes;
      for (int peer : member->peer_route_ports) {
        routes += (routes.empty() ? "" : ",") + std::string("nats://127.0.0.1:") + std::to_string(peer);
      }
      spawn.argv.insert(spawn.argv.end(), {"-n", member->server_name, "--cluster_name", member->cluster_name,
                                           "--cluster", "nats://127.0.0.1:" + std::to_string(member->route_port),
                                           "--routes", routes});
    } else {
      spawn.argv.insert(spawn.argv.end(), {"-n", "parkchat-embedded"});
    }
    spawn.run_as = options.run_as;
    spawn.output_path = options.log_path;
    spawn.death_signal = SIGTERM;
    auto child = ChildProcess::spawn(spawn);
    if (!child) return tl::unexpected(child.error());

    const std::string url = "nats://127.0.0.1:" + std::to_string(port);
    auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (!child->poll() && std::chrono::steady_clock::now() < deadline) {
      if (accepts_clients(url)) return std::unique_ptr<NatsServer>(new NatsServer(std::move(*child), port));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!child->poll()) {
      child->stop(SIGKILL, std::chrono::seconds(5));
      return fail(Errc::unavailable, "nats-server on 127.0.0.1:" + std::to_string(port) + " did not accept clients within " +
                                         std::to_string(kStartTimeout.count()) + " s; its log " + options.log_path + ":" +
                                         tail_of_file(options.log_path));
    }
    if (options.port == 0 && attempt < kPortAttempts && file_mentions(options.log_path, "address already in use")) continue;
    return fail(Errc::unavailable, "nats-server on 127.0.0.1:" + std::to_string(port) + " exited with status " +
                                       std::to_string(*child->poll()) + "; its log " + options.log_path + ":" +
                                       tail_of_file(options.log_path));
  }
}

void NatsServer::stop() { process_.stop(SIGTERM, std::chrono::seconds(15)); }

}  // namespace parkchat::embedded
