// Connection storms against one real `serve`: 5,000 clients connect within a second, chat, and
// all leave at once, again and again (scenarios/storm.json). The gateway drops hundreds of room
// subscriptions together while messages for them arrive, which crashed it before subscriptions
// were freed only after a flush (core/bus/subscription_reaper.hpp). PARKCHAT_STORMS sets how many
// storms (3 by default; the README's stress loop runs 50).

#include <cstdlib>
#include <fstream>
#include <iostream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/run_parkchat.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "storm-test-secret";

int storms() {
  const char* value = std::getenv("PARKCHAT_STORMS");
  return value != nullptr && std::atoi(value) > 0 ? std::atoi(value) : 3;
}

TEST(Storm, TheGatewaySurvivesRepeatedStorms) {
  ScratchDatabase db;
  // The gateway (with the REST API the simulator creates rooms through) in one process, the
  // service in another, as in a scaled-out deployment.
  // The service first: it creates the streams, which the gateway waits for.
  ServeProcess backend({"--roles", "service,api", "--nats-url", TestStack::get().nats_url(), "--database-url",
                        db.url(), "--jwt-secret", kSecret});
  ServeProcess gateway({"--roles", "gateway,api", "--nats-url", TestStack::get().nats_url(), "--database-url", db.url(),
                        "--jwt-secret", kSecret});
  ASSERT_FALSE(gateway.url().empty()) << gateway.log();
  ASSERT_FALSE(backend.url().empty()) << backend.log();
  ScratchDir dir;
  const std::string scenario = std::string(PARKCHAT_SOURCE_DIR) + "/scenarios/storm.json";
  const int runs = storms();
  for (int run = 1; run <= runs; ++run) {
    const auto report_path = dir.path() / ("storm-" + std::to_string(run) + ".json");
    auto result = run_parkchat({"simulate", scenario, "--url", gateway.url(), "--jwt-secret", kSecret, "--json", report_path.string()},
                               {}, 180s);
    std::ifstream file(report_path);
    auto report = nlohmann::json::parse(file, nullptr, false);
    ASSERT_TRUE(report.is_object()) << "storm " << run << ": " << result.out << result.err << gateway.log();
    // What this test holds is the gateway's life. On two cores shared with the simulator, NATS,
    // PostgreSQL and the other tests, a storm overloads the machine: some joins miss the
    // simulator's 5 s ack deadline, and under ctest -j a few deliveries have been missed too
    // (18 of 52,230 once). Those are figures for the load benchmarks, printed here, not failures.
    EXPECT_GT(report["clients"]["connected"].get<int>(), 0) << "storm " << run << ": " << result.out;
    EXPECT_EQ(report["messages"]["duplicated"], 0) << "storm " << run;
    std::cout << "storm " << run << ": " << report["clients"]["connected"] << " of 5000 joined, "
              << report["messages"]["lost"] << " deliveries missed" << std::endl;
    ASSERT_TRUE(gateway.running()) << "storm " << run << " killed the gateway:\n" << gateway.log();
  }
  EXPECT_EQ(gateway.stop(), 0) << gateway.log();
  EXPECT_EQ(backend.stop(), 0) << backend.log();
}

}  // namespace
}  // namespace parkchat::testing
