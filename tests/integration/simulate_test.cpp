// `parkchat simulate` against a real `serve`: a short scenario delivers everything once, in
// order, and into history; the report and the exit code say so; thresholds can fail a run.

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/run_parkchat.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "simulate-test-secret";

TEST(Simulate, ShortScenarioLosesNothing) {
  ScratchDatabase db;
  ServeProcess serve({"--nats-url", TestStack::get().nats_url(), "--database-url", db.url(), "--jwt-secret", kSecret});
  ASSERT_FALSE(serve.url().empty());
  ScratchDir dir;
  const auto scenario = dir.path() / "short.json";
  std::ofstream(scenario) << R"({"name":"short","clients":40,"roomSize":5,"rampUp":"1s","duration":"4s",
                                 "ratePerClient":2,"messageBytes":80,"typingShare":0.2})";
  const auto report_path = dir.path() / "report.json";
  // Three client loops, whole rooms each: one report, every delivery still checked.
  auto run = run_parkchat({"simulate", scenario.string(), "--url", serve.url(), "--jwt-secret", kSecret, "--json",
                           report_path.string(), "--assert", "lost=0,dup=0,p99<2000ms", "--threads", "3"},
                          {}, 120s);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  std::ifstream file(report_path);
  auto report = nlohmann::json::parse(file, nullptr, false);
  ASSERT_TRUE(report.is_object()) << run.out;
  EXPECT_EQ(report["clients"]["connected"], 40);
  EXPECT_EQ(report["clients"]["failed"], 0);
  EXPECT_GT(report["messages"]["acked"].get<int>(), 100);
  EXPECT_EQ(report["messages"]["delivered"], report["messages"]["expected"]);
  EXPECT_EQ(report["messages"]["lost"], 0);
  EXPECT_EQ(report["messages"]["duplicated"], 0);
  EXPECT_EQ(report["messages"]["outOfOrder"], 0);
  EXPECT_EQ(report["messages"]["missingInHistory"], 0);
  EXPECT_TRUE(report["passed"].get<bool>());
  EXPECT_GT(report["latency_ms"]["delivery"]["p99"].get<double>(), 0);
  EXPECT_EQ(report["simulator"]["threads"], 3);
  EXPECT_GT(report["simulator"]["cpuSeconds"].get<double>(), 0);
  EXPECT_GT(report["simulator"]["busiestLoopShare"].get<double>(), 0);
  EXPECT_FALSE(report["simulator"]["saturated"].get<bool>()) << "40 clients cannot saturate a loop";

  // A threshold no run can meet fails it: exit 1, passed false.
  auto strict = run_parkchat({"simulate", scenario.string(), "--url", serve.url(), "--jwt-secret", kSecret, "--duration",
                              "1s", "--assert", "p99<0.001ms"},
                             {}, 120s);
  EXPECT_EQ(strict.exit_code, 1) << strict.out << strict.err;
  EXPECT_NE(strict.out.find("FAILED"), std::string::npos) << strict.out;

  auto bad = run_parkchat({"simulate", scenario.string(), "--url", serve.url(), "--assert", "p99~3"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

// Reconnects, rejoins, a storm and REST sends: still nothing lost, duplicated or reordered, with
// every acknowledged message owed to every member for the whole run: a client back from a
// reconnect catches up from history and resends what was not acknowledged.
TEST(Simulate, ChurnLosesNothing) {
  ScratchDatabase db;
  ServeProcess serve({"--nats-url", TestStack::get().nats_url(), "--database-url", db.url(), "--jwt-secret", kSecret});
  ASSERT_FALSE(serve.url().empty());
  ScratchDir dir;
  const auto scenario = dir.path() / "churn.json";
  std::ofstream(scenario) << R"({"name":"short churn","clients":40,"roomSize":5,"rampUp":"1s","duration":"6s",
                                 "ratePerClient":2,"restShare":0.2,"reconnectEvery":"3s","rejoinEvery":"3s",
                                 "storms":1,"stormShare":0.5})";
  const auto report_path = dir.path() / "report.json";
  auto run = run_parkchat({"simulate", scenario.string(), "--url", serve.url(), "--jwt-secret", kSecret, "--json",
                           report_path.string(), "--threads", "2"},
                          {}, 120s);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  std::ifstream file(report_path);
  auto report = nlohmann::json::parse(file, nullptr, false);
  ASSERT_TRUE(report.is_object()) << run.out;
  EXPECT_GT(report["messages"]["ackedThroughRest"].get<int>(), 0) << run.out;
  EXPECT_GT(report["errors"].value("RECONNECTS (churn)", 0), 0) << run.out;
  EXPECT_GT(report["errors"].value("REJOINS (churn)", 0), 0) << run.out;
  EXPECT_EQ(report["messages"]["lost"], 0) << run.out;
  EXPECT_EQ(report["messages"]["duplicated"], 0);
  EXPECT_EQ(report["messages"]["outOfOrder"], 0);
  EXPECT_EQ(report["messages"]["missingInHistory"], 0);
  EXPECT_EQ(report["messages"]["neverAcked"], 0) << run.out;
  // What the clients missed while reconnecting came from history, and was owed to them.
  EXPECT_GT(report["messages"]["caughtUpFromHistory"].get<int>(), 0) << run.out;
  EXPECT_GT(report["messages"]["expected"].get<int>(), report["messages"]["forgiving"]["expected"].get<int>()) << run.out;
  EXPECT_EQ(report["messages"]["forgiving"]["lost"], 0);
}

}  // namespace
}  // namespace parkchat::testing
