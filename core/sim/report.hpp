#pragma once
// What `parkchat simulate` prints and writes: the summary table, the JSON report, and the
// verdict against the run's checks and the user's thresholds (`--assert`). Pure.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/error.hpp"
#include "core/sim/runner.hpp"

namespace parkchat::sim {

// One threshold of --assert: "p99<50ms" (delivery latency; also p50, p90, p999, max, and
// ack_p99 and the like for send→ack), "lost=0", "dup=0", "order=0", "history=0", "failed=0",
// with <, <=, = or >=.
struct Threshold {
  std::string metric;
  std::string op;
  double value = 0;
  std::string text;  // as written
};
Result<std::vector<Threshold>> parse_thresholds(const std::string& text);

struct Verdict {
  bool passed = true;
  std::vector<std::string> failures;  // what failed, in words
};
// Verification (nothing lost, duplicated, reordered or missing from history; every client
// connected) and the thresholds.
Verdict judge(const Report& report, const std::vector<Threshold>& thresholds);

// Adds one client loop's findings to the whole run's (loops own whole rooms).
void merge_into(Report& into, const Report& part);

nlohmann::json to_json(const Report& report, const Verdict& verdict);
std::string summary_table(const Report& report, const Verdict& verdict);

}  // namespace parkchat::sim
