// `parkchat send` and `parkchat tail` end to end, against real `serve` processes: what an
// operator types, with the gateway, without it, and across a gateway restart.

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/auth/token.hpp"
#include "core/base/uuid.hpp"
#include "core/embedded/child_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/run_parkchat.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "operator-test-secret";

class OperatorTest : public ::testing::Test {
 protected:
  // serve's shared flags: this binary's NATS, a fresh database, a known secret.
  std::vector<std::string> serve_args(std::vector<std::string> more = {}) const {
    std::vector<std::string> args = {"--nats-url", TestStack::get().nats_url(), "--database-url", db_.url(),
                                     "--jwt-secret", kSecret};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  // The tail tests' layout: the service, notifier and REST in one process (the backend), the
  // gateway (with REST for tail's history) in another, on a port held for the whole test so that
  // it can come back where tail looks for it: while it is down, a port merely found free could go
  // to a server or an outgoing connection of another test binary, and the gateway could not bind
  // it again.
  std::unique_ptr<ServeProcess> start_gateway(const ReservedPort& port) const {
    return std::make_unique<ServeProcess>(serve_args({"--roles", "gateway,api"}), port.address());
  }

  // A GROUP room of user 4 (Kim) with user 5 (Lee), created through REST on `port`.
  static std::string create_room(int port) {
    auto token = auth::mint_token({4, "Kim"}, kSecret, 1h);
    auto created = http_request(port, "POST", "/api/user/chat/rooms", R"({"type":"GROUP","name":"tee times","participant_ids":[5]})",
                                {{"Authorization", "Bearer " + *token}, {"Content-Type", "application/json"}});
    EXPECT_EQ(created.status, 201) << created.body;
    return created.json()["data"].value("id", "");
  }

  static std::vector<std::string> client_args(const std::string& url, std::vector<std::string> args) {
    args.insert(args.end(), {"--url", url, "--jwt-secret", kSecret});
    return args;
  }

  // The messages `tail --json` printed (lines with an "id"), in order.
  static std::vector<nlohmann::json> messages_in(const std::string& output) {
    std::vector<nlohmann::json> out;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
      auto json = nlohmann::json::parse(line, nullptr, false);
      if (json.is_object() && json.contains("id") && !json.contains("event")) out.push_back(json);
    }
    return out;
  }
  static std::vector<std::string> contents(const std::vector<nlohmann::json>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) {
      if (m.value("type", "") != "SYSTEM") out.push_back(m.value("content", ""));
    }
    return out;
  }

  ScratchDatabase db_;
};

// Accumulates a background command's stdout and waits for text in it.
class Output {
 public:
  explicit Output(int fd) : fd_(fd) {}
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (text_.find(needle) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      std::string chunk = read_until(fd_, needle, left);
      if (chunk.empty()) return text_.find(needle) != std::string::npos;
      text_ += chunk;
    }
    return true;
  }
  const std::string& text() const { return text_; }

 private:
  int fd_;
  std::string text_;
};

// Waits until the file (a background command's stderr) holds `needle`, reading it as it grows.
bool file_shows(const std::string& path, const std::string& needle, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(50ms);  // polls the file; stderr has no pipe to wait on
  }
  return false;
}

TEST_F(OperatorTest, SendThenTailShowsTheMessage) {
  ServeProcess serve(serve_args());
  ASSERT_FALSE(serve.url().empty());
  const std::string room = create_room(serve.port());

  auto sent = run_parkchat(client_args(serve.url(), {"send", "--room", room, "--as", "4:Kim", "first tee at 7?"}));
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  const std::string id = sent.out.substr(0, sent.out.find('\n'));
  EXPECT_TRUE(is_uuid(id)) << sent.out;

  auto tail = run_parkchat(client_args(serve.url(), {"tail", room, "-n", "5", "--as", "5", "--json"}));
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  auto messages = messages_in(tail.out);
  ASSERT_FALSE(messages.empty()) << tail.out;
  EXPECT_EQ(messages.back().value("id", ""), id);
  EXPECT_EQ(messages.back().value("content", ""), "first tee at 7?");
  EXPECT_EQ(messages.back().value("senderName", ""), "Kim");

  // The same id again: stored once, the same id printed.
  auto again = run_parkchat(client_args(serve.url(), {"send", "--room", room, "--as", "4:Kim", "--id", id, "first tee at 7?"}));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, id + "\n");
  auto after = run_parkchat(client_args(serve.url(), {"tail", room, "-n", "50", "--as", "5", "--json"}));
  EXPECT_EQ(contents(messages_in(after.out)), std::vector<std::string>{"first tee at 7?"});
}

TEST_F(OperatorTest, RefusalsExitOneWithTheServersCode) {
  ServeProcess serve(serve_args());
  ASSERT_FALSE(serve.url().empty());
  const std::string room = create_room(serve.port());
  auto stranger = run_parkchat(client_args(serve.url(), {"send", "--room", room, "--as", "9", "hello"}));
  EXPECT_EQ(stranger.exit_code, 1);
  EXPECT_NE(stranger.err.find("NOT_FOUND"), std::string::npos) << stranger.err;

  auto forged = run_parkchat({"send", "--url", serve.url(), "--jwt-secret", "another-secret", "--room", room, "--as", "4", "hi"});
  EXPECT_EQ(forged.exit_code, 1);
  EXPECT_NE(forged.err.find("UNAUTHORIZED"), std::string::npos) << forged.err;

  auto nobody = run_parkchat(client_args(serve.url(), {"send", "--room", room, "hi"}));
  EXPECT_EQ(nobody.exit_code, 2) << nobody.err;

  // Held, not merely free: a port let go could be taken by a server of another test binary.
  ReservedPort closed;
  const std::string unreachable = "http://" + closed.address();
  auto down = run_parkchat(client_args(unreachable, {"send", "--room", room, "--as", "4", "hi"}), {}, 30s);
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find(unreachable), std::string::npos) << down.err;
  EXPECT_LT(down.elapsed, 10s);
}

TEST_F(OperatorTest, StandardInputLinesKeepTheirOrder) {
  ServeProcess serve(serve_args());
  ASSERT_FALSE(serve.url().empty());
  const std::string room = create_room(serve.port());
  ScratchDir scratch;
  embedded::SpawnOptions shell;
  std::string command = "printf 'one\\ntwo\\nthree\\nfour\\nfive\\n' | " + std::string(PARKCHAT_BIN) + " send --url " +
                        serve.url() + " --jwt-secret " + kSecret + " --room " + room + " --as 4:Kim -";
  shell.argv = {"/bin/sh", "-c", command};
  shell.output_path = (scratch.path() / "out").string();
  auto status = embedded::run_to_completion(shell, std::chrono::milliseconds(30000));
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0) << embedded::tail_of_file(shell.output_path);

  // Acknowledged means on the stream; history follows as the persister catches up.
  const std::vector<std::string> sent = {"one", "two", "three", "four", "five"};
  std::vector<std::string> shown;
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    shown = contents(messages_in(run_parkchat(client_args(serve.url(), {"tail", room, "-n", "10", "--as", "5", "--json"})).out));
    if (shown.size() >= sent.size()) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(shown, sent);
}

TEST_F(OperatorTest, SendFallsBackToRestWithoutAGateway) {
  ServeProcess serve(serve_args({"--roles", "api,service,notify"}));
  ASSERT_FALSE(serve.url().empty());
  const std::string room = create_room(serve.port());
  auto sent = run_parkchat(client_args(serve.url(), {"send", "--room", room, "--as", "4:Kim", "by REST"}));
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_NE(sent.err.find("REST"), std::string::npos) << sent.err;
  ASSERT_EQ(sent.out.size(), 37u) << sent.out;
  const std::string id = sent.out.substr(0, 36);
  // A resend with the id (of any age: through REST, which finds it in history) stores nothing.
  auto resent = run_parkchat(client_args(serve.url(), {"send", "--room", room, "--as", "4:Kim", "--id", id, "by REST"}));
  ASSERT_EQ(resent.exit_code, 0) << resent.err;
  EXPECT_EQ(resent.out, id + "\n");

  auto only_ws = run_parkchat(client_args(serve.url(), {"send", "--room", room, "--as", "4", "--via", "ws", "no"}));
  EXPECT_EQ(only_ws.exit_code, 1);

  auto tail = run_parkchat(client_args(serve.url(), {"tail", room, "-n", "10", "--as", "5", "--json"}));
  EXPECT_EQ(contents(messages_in(tail.out)), std::vector<std::string>{"by REST"});
}

TEST_F(OperatorTest, TailFollowsLiveAndAcrossAGatewayRestart) {
  ServeProcess backend(serve_args({"--roles", "api,service,notify"}));
  ASSERT_FALSE(backend.url().empty());
  ReservedPort gateway_port;
  auto gateway = start_gateway(gateway_port);
  ASSERT_FALSE(gateway->url().empty());
  const std::string room = create_room(backend.port());
  ASSERT_EQ(run_parkchat(client_args(backend.url(), {"send", "--room", room, "--as", "4:Kim", "m1"})).exit_code, 0);

  ScratchDir scratch;
  auto tail = start_parkchat(client_args(gateway->url(), {"tail", room, "-n", "10", "-f", "--json", "--as", "5:Lee"}),
                             (scratch.path() / "tail.err").string());
  Output out(tail.stdout_fd());
  ASSERT_TRUE(out.wait_for("\"m1\"", 20s)) << out.text();

  // Live: a message sent meanwhile shows up.
  ASSERT_EQ(run_parkchat(client_args(gateway->url(), {"send", "--room", room, "--as", "4:Kim", "m2"})).exit_code, 0);
  ASSERT_TRUE(out.wait_for("\"m2\"", 20s)) << out.text();

  // The gateway goes away; a message is sent while it is down (through REST on the backend);
  // the gateway comes back on the same address; tail reconnects and fills the gap.
  EXPECT_EQ(gateway->stop(), 0);
  ASSERT_EQ(run_parkchat(client_args(backend.url(), {"send", "--room", room, "--as", "4:Kim", "m3"})).exit_code, 0);
  gateway = start_gateway(gateway_port);
  ASSERT_FALSE(gateway->url().empty());
  ASSERT_TRUE(out.wait_for("\"m3\"", 60s)) << out.text() << embedded::tail_of_file((scratch.path() / "tail.err").string());
  // Once it follows again (the gap is filled after the join), a live message arrives too.
  ASSERT_EQ(run_parkchat(client_args(gateway->url(), {"send", "--room", room, "--as", "4:Kim", "m4"})).exit_code, 0);
  ASSERT_TRUE(out.wait_for("\"m4\"", 20s)) << out.text();
  EXPECT_EQ(contents(messages_in(out.text())), (std::vector<std::string>{"m1", "m2", "m3", "m4"}));

  // Ctrl-C: exit 0.
  EXPECT_EQ(tail.stop(SIGINT, 10s), 0);
}

TEST_F(OperatorTest, TailAllFollowsEveryRoomOfTheUserAcrossAGatewayRestart) {
  ServeProcess backend(serve_args({"--roles", "api,service,notify"}));
  ASSERT_FALSE(backend.url().empty());
  ReservedPort gateway_port;
  auto gateway = start_gateway(gateway_port);
  ASSERT_FALSE(gateway->url().empty());
  const std::string tee_times = create_room(backend.port());
  ASSERT_EQ(run_parkchat(client_args(backend.url(), {"send", "--room", tee_times, "--as", "4:Kim", "before"})).exit_code, 0);

  // Without -f: the last message of each room.
  auto latest = run_parkchat(client_args(backend.url(), {"tail", "--all", "--json", "--as", "5:Lee"}));
  ASSERT_EQ(latest.exit_code, 0) << latest.err;
  EXPECT_EQ(contents(messages_in(latest.out)), std::vector<std::string>{"before"});

  ScratchDir scratch;
  const std::string err_path = (scratch.path() / "tail.err").string();
  auto tail = start_parkchat(client_args(gateway->url(), {"tail", "--all", "-f", "--json", "--as", "5:Lee"}), err_path);
  Output out(tail.stdout_fd());
  // Past its second reading of the rooms, what it shows came as notifications.
  ASSERT_TRUE(file_shows(err_path, "caught up", 20s)) << embedded::tail_of_file(err_path);

  // A message in the room it knew, and one in a room made afterwards, sent through the backend
  // (REST): the gateway learns of both from the notifier alone.
  ASSERT_EQ(run_parkchat(client_args(backend.url(), {"send", "--room", tee_times, "--as", "4:Kim", "m1"})).exit_code, 0);
  ASSERT_TRUE(out.wait_for("\"m1\"", 20s)) << out.text() << embedded::tail_of_file(err_path);
  auto token = auth::mint_token({6, "Park"}, kSecret, 1h);
  auto direct = http_request(backend.port(), "POST", "/api/user/chat/rooms", R"({"type":"DIRECT","participant_ids":[5]})",
                             {{"Authorization", "Bearer " + *token}, {"Content-Type", "application/json"}});
  ASSERT_EQ(direct.status, 201) << direct.body;
  const std::string dm = direct.json()["data"].value("id", "");
  ASSERT_EQ(run_parkchat(client_args(backend.url(), {"send", "--room", dm, "--as", "6:Park", "m2"})).exit_code, 0);
  ASSERT_TRUE(out.wait_for("\"m2\"", 20s)) << out.text() << embedded::tail_of_file(err_path);

  // The gateway goes away; one message in each room meanwhile; once it is back the gaps are filled.
  EXPECT_EQ(gateway->stop(), 0);
  ASSERT_EQ(run_parkchat(client_args(backend.url(), {"send", "--room", tee_times, "--as", "4:Kim", "m3"})).exit_code, 0);
  ASSERT_EQ(run_parkchat(client_args(backend.url(), {"send", "--room", dm, "--as", "6:Park", "m4"})).exit_code, 0);
  gateway = start_gateway(gateway_port);
  ASSERT_FALSE(gateway->url().empty());
  ASSERT_TRUE(out.wait_for("\"m4\"", 60s)) << out.text() << embedded::tail_of_file(err_path);
  ASSERT_TRUE(out.wait_for("\"m3\"", 5s)) << out.text();

  std::vector<std::string> shown = contents(messages_in(out.text()));
  std::sort(shown.begin(), shown.end());
  // "before" once: from the room list at the start, not again if its notice comes late.
  EXPECT_EQ(shown, (std::vector<std::string>{"before", "m1", "m2", "m3", "m4"})) << out.text();
  for (const auto& m : messages_in(out.text())) {
    const std::string content = m.value("content", "");
    EXPECT_EQ(m.value("roomId", ""), content == "m2" || content == "m4" ? dm : tee_times) << content;
  }
  EXPECT_EQ(tail.stop(SIGINT, 10s), 0);
}

}  // namespace
}  // namespace parkchat::testing
