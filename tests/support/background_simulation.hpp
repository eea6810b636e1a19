#pragma once
// `parkchat simulate` in the background while a test breaks something: started against one or
// more gateways, waited for, and its JSON report judged by the fault suite's rule (nothing
// acknowledged lost, nothing doubled, nothing missing from history, no ack later than 10 s).

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/embedded/child_process.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {

class BackgroundSimulation {
 public:
  // `scenario`: the scenario's JSON; `urls`: the gateways (--url A,B,…).
  BackgroundSimulation(const nlohmann::json& scenario, const std::vector<std::string>& urls, const std::string& jwt_secret);
  ~BackgroundSimulation();

  // Waits for the run to end; its report (a null json when it wrote none: the test has failed).
  nlohmann::json finish(std::chrono::seconds timeout);
  std::string output() const;  // what simulate wrote on stderr (progress) and stdout

 private:
  ScratchDir dir_;
  std::optional<embedded::ChildProcess> child_;
  std::string stdout_text_;
};

// The fault suite's figures of one case, printed on one line, and its verdict as gtest
// expectations: acked > 0; lost, duplicated and missing from history 0; no ack after 10 s.
void expect_nothing_lost(const std::string& fault, const nlohmann::json& report, const std::string& context);

// Polls `condition` every 20 ms until it holds (true) or `timeout` passes (false): for states
// another process reaches, which it announces nowhere else.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// A counter of a serve's /metrics (the sum over its labels), 0 when it cannot be read.
double metric_sum(int port, const std::string& name);

// Waits (up to 60 s) until gateway `gateway` has acknowledged `sends` messages in all, so that
// a fault falls mid-run; a test failure naming the gateway when it does not.
void wait_for_sends(ServeProcess& gateway, double sends);

}  // namespace parkchat::testing
