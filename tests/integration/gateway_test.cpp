// The gateway driven by real Socket.IO clients: the npm package socket.io-client and raw
// Engine.IO/WebSocket exchanges, in Node test files under tests/gateway/, against `parkchat
// serve` processes on this binary's NATS and PostgreSQL (each Node file is one test here); and
// presence, watched on NATS while our own client connects.

#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/auth/token.hpp"
#include "core/bus/nats_client.hpp"
#include "core/client/socketio_client.hpp"
#include "core/embedded/child_process.hpp"
#include "tests/support/run_parkchat.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

constexpr const char* kSecret = "gateway-test-secret";

// Runs one Node test file with `env`; fails the test with the runner's output when it fails.
void run_node_tests(const std::string& file, const std::vector<std::string>& env) {
  const std::string dir = std::string(PARKCHAT_SOURCE_DIR) + "/tests/gateway";
  auto node = embedded::find_program({"node", "nodejs"});
  ASSERT_TRUE(node) << "node is not installed (scripts/install-deps.sh installs it)";
  ASSERT_TRUE(std::filesystem::exists(dir + "/node_modules/socket.io-client"))
      << "run `npm ci --prefix tests/gateway` first (scripts/test.sh does)";
  ScratchDir scratch;
  embedded::SpawnOptions options;
  options.argv = {*node, "--test", "--test-reporter=spec", dir + "/" + file};
  options.output_path = (scratch.path() / "node.log").string();
  options.env_changes = env;
  auto status = embedded::run_to_completion(options, std::chrono::minutes(5));
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(*status, 0) << embedded::tail_of_file(options.output_path, 200);
}

// On one listener thread and on four: with four, a session's polls and its upgrades come on
// connections that the kernel spreads over the threads, and each must reach the session's own.
void run_conformance_suite(const std::string& threads) {
  ServeProcess server({"--conformance", "--threads", threads});
  ASSERT_FALSE(server.url().empty());
  run_node_tests("conformance.test.mjs", {"PARKCHAT_URL=" + server.url()});
  EXPECT_EQ(server.stop(), 0);
}

TEST(Gateway, ConformanceSuiteOnOneThread) { run_conformance_suite("1"); }
TEST(Gateway, ConformanceSuiteOnFourThreads) { run_conformance_suite("4"); }

// chat.test.mjs and abuse.test.mjs against two gateway processes, the first with `first_threads`
// listener threads (and every role), the second with `second_threads` (gateway role only).
void run_chat_tests_on_two_gateways(const std::string& first_threads, const std::string& second_threads) {
  ScratchDatabase db;
  const std::vector<std::string> common = {"--nats-url", TestStack::get().nats_url(), "--database-url", db.url(),
                                           "--jwt-secret", kSecret};
  std::vector<std::string> first_args = common;
  // The room cap test creates 201 rooms for one user, past what the default budgets allow.
  first_args.insert(first_args.end(), {"--allowed-origins", "http://app.example", "--room-create-rate", "100000",
                                       "--room-add-rate", "1000000", "--threads", first_threads});
  ServeProcess first(first_args);
  ASSERT_FALSE(first.url().empty());
  std::vector<std::string> gateway_only = common;
  gateway_only.insert(gateway_only.end(), {"--roles", "gateway", "--threads", second_threads});
  ServeProcess second(gateway_only);
  ASSERT_FALSE(second.url().empty());
  const std::vector<std::string> env = {"PARKCHAT_URL=" + first.url(), "PARKCHAT_URL_2=" + second.url(),
                                        std::string("PARKCHAT_JWT_SECRET=") + kSecret,
                                        "PARKCHAT_ALLOWED_ORIGIN=http://app.example", "PARKCHAT_SHARDS=" + first_threads};
  run_node_tests("chat.test.mjs", env);
  run_node_tests("abuse.test.mjs", env);
  // What the clients did shows in `parkchat stats`.
  auto stats = run_parkchat({"stats", "--url", first.url(), "--json"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  auto figures = nlohmann::json::parse(stats.out, nullptr, false);
  ASSERT_TRUE(figures.contains("gateway")) << stats.out;
  EXPECT_GT(figures["gateway"].value("messagesSent", 0), 0) << stats.out;
  EXPECT_GT(figures["gateway"].value("deliveries", 0), 0) << stats.out;
  EXPECT_TRUE(figures["gateway"].contains("connections")) << stats.out;
  if (::testing::Test::HasFailure()) {
    std::cerr << "first serve log:\n" << first.log() << "\nsecond serve log:\n" << second.log() << "\n";
  }
  // SIGTERM: a graceful stop, exit code 0.
  EXPECT_EQ(second.stop(), 0);
  EXPECT_EQ(first.stop(), 0);
}

// The same tests with a gateway of four listener threads (a room's members on every one) and one
// of a single thread, each in turn the first.
TEST(Gateway, SocketIoClientsOnFourThreadsAndOne) { run_chat_tests_on_two_gateways("4", "1"); }
TEST(Gateway, SocketIoClientsOnOneThreadAndFour) { run_chat_tests_on_two_gateways("1", "4"); }

// Runs one Node test file against a serve of its own, started with `extra_args`.
void run_node_tests_on_own_serve(const std::string& file, std::vector<std::string> extra_args) {
  ScratchDatabase db;
  std::vector<std::string> args = {"--nats-url", TestStack::get().nats_url(), "--database-url", db.url(),
                                   "--jwt-secret", kSecret};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  ServeProcess serve(args);
  ASSERT_FALSE(serve.url().empty());
  run_node_tests(file, {"PARKCHAT_URL=" + serve.url(), std::string("PARKCHAT_JWT_SECRET=") + kSecret});
  if (::testing::Test::HasFailure()) std::cerr << "serve log:\n" << serve.log() << "\n";
  EXPECT_EQ(serve.stop(), 0);
}

// What a hostile user tries (README "Input rules" and "Limits") against the default limits and a
// short duplicate window, with bystanders chatting through every attempt.
TEST(Gateway, HostileInputCostsBystandersNothing) {
  run_node_tests_on_own_serve("hostile.test.mjs", {"--dedupe-window", "2s", "--threads", "4"});
}

// Overload refused at the edge: a queue bound of 1 ms that a burst into a large room outlasts.
TEST(Gateway, OverloadIsRefusedNotQueued) { run_node_tests_on_own_serve("overload.test.mjs", {"--max-queue-delay", "1", "--threads", "1"}); }

// Seed §3.5: online with a user's first socket on a gateway, offline after the last.
TEST(Gateway, PresenceFollowsAUsersFirstAndLastSocket) {
  ScratchDatabase db;
  ServeProcess serve({"--nats-url", TestStack::get().nats_url(), "--database-url", db.url(), "--jwt-secret", kSecret});
  ASSERT_FALSE(serve.url().empty());
  auto nats = bus::NatsClient::connect(TestStack::get().nats_url(), "presence-test");
  ASSERT_TRUE(nats);
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<nlohmann::json> events;
  const std::int64_t user = 770000 + (::getpid() % 1000);
  auto sub = (*nats)->subscribe("chat.user." + std::to_string(user) + ".presence", "", [&](bus::MsgPtr msg) {
    std::lock_guard<std::mutex> lock(mutex);
    events.push_back(nlohmann::json::parse(bus::payload(msg.get()), nullptr, false));
    changed.notify_all();
  });
  ASSERT_TRUE(sub);
  ASSERT_TRUE((*nats)->flush(std::chrono::seconds(5)));
  auto wait_for_events = [&](std::size_t n) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(10), [&] { return events.size() >= n; });
  };

  auto loop = client::ClientLoop::start();
  auto server = client::parse_server_url(serve.url());
  ASSERT_TRUE(server);
  auto token = auth::mint_token({user, "Pat"}, kSecret, std::chrono::hours(1));
  ASSERT_TRUE(token);
  auto open_socket = [&] {
    auto connected = std::make_shared<std::promise<void>>();
    client::SocketIoOptions options;
    options.server = *server;
    options.auth = {{"token", *token}};
    client::SocketIoHandlers handlers;
    handlers.connected = [connected](const nlohmann::json&) { connected->set_value(); };
    auto socket = client::SocketIoClient::create(*loop, options, handlers);
    socket->connect();
    EXPECT_EQ(connected->get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return socket;
  };
  auto first = open_socket();
  ASSERT_TRUE(wait_for_events(1));
  auto second = open_socket();
  first->close();
  second->close();
  ASSERT_TRUE(wait_for_events(2));
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(events.size(), 2u) << "one online, one offline, nothing for the second socket";
  EXPECT_EQ(events[0].value("status", ""), "online");
  EXPECT_EQ(events[1].value("status", ""), "offline");
  EXPECT_EQ(events[0].value("userId", 0), user);
  EXPECT_TRUE(events[0].contains("gatewayId") && events[0].contains("at")) << events[0];
}

// SIGTERM: a connected client is told why it is being let go, and serve exits 0.
TEST(Gateway, SigtermClosesSocketsWithAReason) {
  ScratchDatabase db;
  ServeProcess serve({"--nats-url", TestStack::get().nats_url(), "--database-url", db.url(), "--jwt-secret", kSecret});
  ASSERT_FALSE(serve.url().empty());
  auto loop = client::ClientLoop::start();
  auto server = client::parse_server_url(serve.url());
  ASSERT_TRUE(server);
  auto token = auth::mint_token({31, "Sam"}, kSecret, std::chrono::hours(1));
  ASSERT_TRUE(token);
  auto connected = std::make_shared<std::promise<void>>();
  auto gone = std::make_shared<std::promise<std::string>>();
  client::SocketIoOptions options;
  options.server = *server;
  options.auth = {{"token", *token}};
  client::SocketIoHandlers handlers;
  handlers.connected = [connected](const nlohmann::json&) { connected->set_value(); };
  handlers.disconnected = [gone](const std::string& reason, std::optional<std::chrono::milliseconds>) { gone->set_value(reason); };
  auto socket = client::SocketIoClient::create(*loop, options, handlers);
  socket->connect();
  ASSERT_EQ(connected->get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(serve.stop(), 0);
  auto reason = gone->get_future();
  ASSERT_EQ(reason.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_NE(reason.get().find("server shutting down"), std::string::npos);
}

}  // namespace
}  // namespace parkchat::testing
