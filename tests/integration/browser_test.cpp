// The web client in a real browser: tests/web/*.test.mjs (node --test, playwright-core driving
// Debian's chromium) against a deployment of their own (two serve processes) with --dev-login. Screenshots go to
// build/web-artifacts/.

#include <signal.h>

#include <filesystem>
#include <iostream>

#include <gtest/gtest.h>

#include "core/embedded/child_process.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

constexpr const char* kSecret = "browser-secret";

TEST(Browser, WebClientJourneys) {
  const std::string dir = std::string(PARKCHAT_SOURCE_DIR) + "/tests/web";
  auto node = embedded::find_program({"node", "nodejs"});
  ASSERT_TRUE(node) << "node is not installed (scripts/install-deps.sh installs it)";
  ASSERT_TRUE(std::filesystem::exists(dir + "/node_modules/playwright-core"))
      << "run `npm ci --prefix tests/web` first (scripts/test.sh does)";
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium")) << "apt-get install chromium (scripts/install-deps.sh does)";
  ScratchDatabase db;
  const std::vector<std::string> shared = {"--nats-url", TestStack::get().nats_url(), "--database-url", db.url(),
                                           "--jwt-secret", kSecret};
  // The service and the notifier in a process of their own, which a journey stops (SIGSTOP)
  // while the page's socket stays connected.
  std::vector<std::string> backend_args = shared;
  backend_args.insert(backend_args.end(), {"--roles", "api,service,notify"});
  ServeProcess backend(backend_args);
  ASSERT_FALSE(backend.url().empty()) << backend.log();
  // The page, REST and the gateway. --ack-after stored: a message the page shows as sent is in
  // history, so that what another page then reads (unread counts, last messages) counts it.
  std::vector<std::string> front_args = shared;
  front_args.insert(front_args.end(), {"--roles", "gateway,api", "--dev-login", "--threads", "2", "--ack-after", "stored"});
  ServeProcess serve(front_args);
  ASSERT_FALSE(serve.url().empty()) << serve.log();
  const std::string artifacts = std::string(PARKCHAT_BINARY_DIR) + "/web-artifacts";
  std::filesystem::create_directories(artifacts);
  ScratchDir scratch;
  embedded::SpawnOptions options;
  options.argv = {*node, "--test", "--test-reporter=spec", dir + "/chat.test.mjs"};
  options.output_path = (scratch.path() / "node.log").string();
  options.env_changes = {"PARKCHAT_URL=" + serve.url(), "PARKCHAT_ARTIFACTS=" + artifacts,
                         "PARKCHAT_SERVICE_PID=" + std::to_string(backend.pid())};
  auto status = embedded::run_to_completion(options, std::chrono::minutes(5));
  backend.signal(SIGCONT);  // had the journey that stops it been cut short
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(*status, 0) << embedded::tail_of_file(options.output_path, 200) << "\nserve log:\n" << serve.log()
                       << "\nbackend log:\n" << backend.log();
  std::cout << embedded::tail_of_file(options.output_path, 200) << std::endl;  // each journey and the figures
}

}  // namespace
}  // namespace parkchat::testing
