#pragma once
// Runs a scenario against a server that speaks CONTRACT §3–§4: creates the rooms through the
// API, connects every client (one Socket.IO connection each, spread by room over `threads`
// Asio loops), has them
// talk for the scenario's duration, verifies every delivery, then checks the rooms' history.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "core/base/error.hpp"
#include "core/client/http_client.hpp"
#include "core/sim/histogram.hpp"
#include "core/sim/scenario.hpp"
#include "core/sim/verifier.hpp"

namespace parkchat::sim {

// What a progress line shows, once a second.
struct Progress {
  double elapsed_seconds = 0;
  int connected = 0;
  int target = 0;
  double sent_per_second = 0;
  double delivered_per_second = 0;
  std::int64_t delivery_p99_us = 0;
};

struct Report {
  std::string scenario;
  int target = 0;
  int connected = 0;  // clients that joined their room
  int failed = 0;     // clients that never did
  Histogram connect_time;      // µs, connect → the join's ack
  Histogram socket_open_time;  // µs, connect → the gateway's `connected` event (its share of the above)
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  std::uint64_t rest_sends = 0;  // of the acked, those sent through REST
  std::map<std::string, std::uint64_t> errors;  // refusals and failures by code
  // Every acknowledged message owed to every member for the whole run, reconnects included.
  DeliveryVerifier::Counts deliveries;
  // The older count: owed only to members connected at the time, nothing after a reconnect.
  DeliveryVerifier::Counts forgiving;
  std::uint64_t caught_up = 0;    // receipts from history after a rejoin
  std::uint64_t resent = 0;       // sends sent again with their id (no ack, or UNAVAILABLE)
  std::uint64_t never_acked = 0;  // sends still unacknowledged when the run ended
  std::uint64_t missing_in_history = 0;
  std::uint64_t duplicated_in_history = 0;
  Histogram ack_latency;       // µs, a message's first send → its ack, resends included
  Histogram attempt_latency;   // µs, the send that was acknowledged → its ack
  Histogram delivery_latency;  // µs, send → receipt
  double send_seconds = 0;     // how long clients were sending
  // The simulator itself: its loops, its CPU over the run, and the share of its busiest loop's
  // thread that was busy (near 1: the simulator set the pace, and the figures are its own).
  int simulator_threads = 1;
  double simulator_cpu_seconds = 0;
  double simulator_wall_seconds = 0;
  double busiest_loop_share = 0;
};

// A loop this busy (share of its thread's time) means the run measured the simulator.
constexpr double kSaturatedLoopShare = 0.9;

struct RunOptions {
  Scenario scenario;
  // The gateways of the deployment: clients are spread over them and fail over to the next,
  // socket and REST alike (--url A,B,…).
  std::vector<client::ServerUrl> servers;
  std::string jwt_secret;
  std::function<void(const Progress&)> progress;  // once a second, on the calling thread
  // Client loops (threads), each with whole rooms.
  int threads = 1;
};

// The run and its findings; an error only when setup fails (rooms cannot be created).
Result<Report> run_simulation(const RunOptions& options);

}  // namespace parkchat::sim
