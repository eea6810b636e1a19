#pragma once
// `parkchat serve`: brings up what the settings ask for (the embedded NATS and PostgreSQL when
// no URLs are given), applies migrations, runs the roles, and on SIGINT/SIGTERM stops
// everything in the reverse order of start.

#include <chrono>
#include <cstddef>
#include <ostream>
#include <optional>
#include <string>
#include <vector>

#include "core/config/settings.hpp"
#include "daemon/limits/user_budgets.hpp"

namespace parkchat::daemon {

// The flags of `serve` alone (CONTRACT §4), beside the shared settings.
struct ServeOptions {
  bool conformance = false;
  std::chrono::milliseconds ping_interval{25000};
  std::chrono::milliseconds ping_timeout{20000};
  std::size_t max_payload = 1'000'000;
  std::chrono::milliseconds connect_timeout{45000};
  // Per socket: typing events a second (beyond, dropped) and joins plus leaves a second.
  double typing_rate = 5;
  double join_rate = 20;
  // Per user and process: sends (socket and REST), REST requests, history reads, room
  // creations, rooms that may add the user; and sockets at once.
  limits::BudgetRates budgets;
  std::size_t max_sockets_per_user = 20;
  // Sends are refused UNAVAILABLE while the gateway's deliveries wait longer than this.
  std::chrono::milliseconds max_queue_delay{250};
  // How long CHAT_MESSAGES drops a resent message id (JetStream's duplicate window).
  std::chrono::milliseconds dedupe_window{std::chrono::minutes(2)};
  // Copies of each stream in a NATS cluster; set by the service role, which owns the streams.
  int stream_replicas = 1;
  // When a socket's send is acknowledged: once the stream has it (false, `published`), or once
  // its row is committed in PostgreSQL (true, `stored`).
  bool ack_after_stored = false;
  // Browser Origins the gateway admits; empty admits any.
  std::vector<std::string> allowed_origins;
  // The web client from this folder instead of the files compiled in (for working on web/).
  std::string web_dir;
  // POST /dev/token (sign in as anyone); nullopt: on in embedded mode with the generated secret
  // and a loopback listen address. Refused with a listen address that is not loopback.
  std::optional<bool> dev_login;
  // Listener threads (shards of the gateway and the REST API) on the one port; 0: one per core.
  std::size_t threads = 0;
};

// Runs until SIGINT or SIGTERM. Prints what it started to `out`. Returns the exit code.
// Call from the main thread before any other thread starts: it blocks SIGINT and SIGTERM so that
// every thread inherits the mask and the signals are taken by sigwait.
int run_serve(const config::Settings& settings, const ServeOptions& options, std::ostream& out);

}  // namespace parkchat::daemon
