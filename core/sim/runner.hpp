#pragma once
// Runs a scenario against a server that speaks CONTRACT §3–§4: creates the rooms through the
// API, connects every client (one Socket.IO connection each, all on one Asio thread), has them
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
  Histogram connect_time;
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  std::uint64_t rest_sends = 0;  // of the acked, those sent through REST
  std::map<std::string, std::uint64_t> errors;  // refusals and failures by code
  DeliveryVerifier::Counts deliveries;
  std::uint64_t missing_in_history = 0;
  std::uint64_t duplicated_in_history = 0;
  Histogram ack_latency;       // µs, send → ack
  Histogram delivery_latency;  // µs, send → receipt
  double send_seconds = 0;     // how long clients were sending
};

struct RunOptions {
  Scenario scenario;
  client::ServerUrl server;
  std::string jwt_secret;
  std::function<void(const Progress&)> progress;  // called on the clients' thread
};

// The run and its findings; an error only when setup fails (rooms cannot be created).
Result<Report> run_simulation(const RunOptions& options);

}  // namespace parkchat::sim
