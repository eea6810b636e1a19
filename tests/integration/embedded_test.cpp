// The embedded NATS and PostgreSQL: started in a directory, answering, and gone afterwards,
// also when `parkchat serve` is killed.

#include <signal.h>

#include <fstream>

#include <gtest/gtest.h>
#include <nats/nats.h>
#include <nlohmann/json.hpp>

#include "core/config/data_dir.hpp"
#include "core/base/version.hpp"
#include "core/embedded/local_stack.hpp"
#include "core/store/pg_connection.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/run_parkchat.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using namespace std::chrono_literals;

bool nats_answers(const std::string& url) {
  natsConnection* conn = nullptr;
  natsStatus status = natsConnection_ConnectTo(&conn, url.c_str());
  if (status == NATS_OK) status = natsConnection_FlushTimeout(conn, 2000);
  natsConnection_Destroy(conn);
  return status == NATS_OK;
}

std::string query(const std::string& url, const std::string& sql) {
  auto conn = store::PgConnection::connect(url);
  if (!conn) return "connect failed: " + conn.error().message;
  auto rows = conn->exec(sql);
  if (!rows) return "query failed: " + store::describe(rows.error());
  return rows->empty() ? "" : rows->at(0).at(0).value_or("NULL");
}

bool gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

embedded::LocalStackOptions ephemeral(const ScratchDir& dir, bool with_nats) {
  embedded::LocalStackOptions options;
  options.dir = dir.path();
  options.durability = embedded::Durability::ephemeral;
  options.with_nats = with_nats;
  return options;
}

TEST(LocalStackTest, StartsBothServersAndStopsThemCompletely) {
  ScratchDir dir;
  auto stack = embedded::LocalStack::start(ephemeral(dir, true));
  ASSERT_TRUE(stack) << stack.error().message;
  EXPECT_TRUE(nats_answers((*stack)->nats()->url()));
  EXPECT_EQ(query((*stack)->postgres()->url(), "SELECT current_database()"), "parkchat");
  const pid_t nats_pid = (*stack)->nats()->pid();
  const pid_t pg_pid = (*stack)->postgres()->pid();

  (*stack)->stop();
  EXPECT_TRUE(gone(nats_pid));
  EXPECT_TRUE(gone(pg_pid));
  EXPECT_NE(query((*stack)->postgres()->url(), "SELECT 1").find("connect failed"), std::string::npos);
}

TEST(LocalStackTest, ADataDirServesOneStackAtATime) {
  ScratchDir dir;
  const auto options = ephemeral(dir, false);
  auto first = embedded::LocalStack::start(options);
  ASSERT_TRUE(first) << first.error().message;
  auto second = embedded::LocalStack::start(options);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("in use"), std::string::npos) << second.error().message;
}

TEST(LocalStackTest, RestartKeepsTheData) {
  ScratchDir dir;
  const auto options = ephemeral(dir, false);
  {
    auto stack = embedded::LocalStack::start(options);
    ASSERT_TRUE(stack) << stack.error().message;
    EXPECT_EQ(query((*stack)->postgres()->url(), "CREATE TABLE kept (id int)"), "");
  }
  auto again = embedded::LocalStack::start(options);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(query((*again)->postgres()->url(), "SELECT to_regclass('kept') IS NOT NULL"), "t");
}

class ServeTest : public ::testing::Test {
 protected:
  // Starts `parkchat serve` with the extra args and waits for its ready line.
  void start(std::vector<std::string> args) {
    args.insert(args.begin(), {"serve", "--data-dir", (dir_.path() / "data").string(), "--listen", "127.0.0.1:0"});
    serve_.emplace(start_parkchat(args, (dir_.path() / "serve.err").string()));
    output_ = read_until(serve_->stdout_fd(), "ready", 120s);
    ASSERT_FALSE(output_.empty()) << "serve did not become ready; stderr:\n" << stderr_text();
    auto at = output_.find("http://127.0.0.1:");
    if (at != std::string::npos) port_ = std::atoi(output_.c_str() + at + 17);
  }

  std::string stderr_text() {
    std::ifstream in(dir_.path() / "serve.err");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  ScratchDir dir_;
  std::optional<embedded::ChildProcess> serve_;
  std::string output_;
  int port_ = 0;  // of the HTTP listener, when serve runs the api role
};

TEST_F(ServeTest, EmbeddedDefaultAppliesTheSchemaAndStopsCleanlyOnSigint) {
  start({});
  EXPECT_NE(output_.find("NATS"), std::string::npos) << output_;
  EXPECT_NE(output_.find("parkchat token"), std::string::npos) << output_;
  auto running = config::read_running_serve(dir_.path() / "data");
  ASSERT_TRUE(running);
  EXPECT_EQ(output_.find(running->database_url), std::string::npos) << "the password must not be printed";
  EXPECT_TRUE(nats_answers(running->nats_url));
  EXPECT_EQ(query(running->database_url, "SELECT name FROM schema_migrations ORDER BY version LIMIT 1"), "chat_schema");
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "data" / "jwt-secret"));
  ASSERT_GT(port_, 0) << output_;
  EXPECT_EQ(http_request(port_, "GET", "/healthz").status, 200);
  auto ready = http_request(port_, "GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;

  // stats reads the running server.
  const std::string url = "http://127.0.0.1:" + std::to_string(port_);
  auto stats = run_parkchat({"stats", "--url", url});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_NE(stats.out.find("api,service,notify"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("CHAT_MESSAGES"), std::string::npos) << stats.out;
  auto stats_json = run_parkchat({"stats", "--json"}, {"PARKCHAT_URL=" + url});
  EXPECT_EQ(stats_json.exit_code, 0) << stats_json.err;
  EXPECT_EQ(nlohmann::json::parse(stats_json.out, nullptr, false).value("version", ""), std::string(kVersion));

  // migrate finds the running embedded database through the data dir.
  auto status = run_parkchat({"migrate", "status", "--data-dir", (dir_.path() / "data").string()});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("applied"), std::string::npos) << status.out;

  ::kill(serve_->pid(), SIGINT);
  auto code = serve_->wait_for(60s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << stderr_text();
  EXPECT_TRUE(gone(running->nats_pid));
  EXPECT_TRUE(gone(running->postgres_pid));
  EXPECT_FALSE(std::filesystem::exists(config::serve_state_path(dir_.path() / "data")));
}

TEST(StatsTest, AnUnreachableServerIsNamed) {
  // Held, not merely free: a port let go could be taken by a server of another test binary.
  ReservedPort closed;
  const std::string url = "http://" + closed.address();
  auto r = run_parkchat({"stats", "--url", url});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(url), std::string::npos) << r.err;
  EXPECT_EQ(run_parkchat({"stats", "--url", "ftp://x"}).exit_code, 2);
}

TEST_F(ServeTest, KilledServeTakesItsServersWithIt) {
  start({});
  auto running = config::read_running_serve(dir_.path() / "data");
  ASSERT_TRUE(running);
  ::kill(serve_->pid(), SIGKILL);
  ASSERT_TRUE(serve_->wait_for(10s));
  EXPECT_TRUE(embedded::wait_for_exit(running->nats_pid, 30s));
  EXPECT_TRUE(embedded::wait_for_exit(running->postgres_pid, 30s));
}

TEST_F(ServeTest, GivenUrlsItStartsNothing) {
  ScratchDatabase db;
  start({"--nats-url", TestStack::get().nats_url(), "--database-url", db.url()});
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / "pg"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / "nats"));
  EXPECT_EQ(query(db.url(), "SELECT min(version) FROM schema_migrations"), "1");
  ::kill(serve_->pid(), SIGTERM);
  auto code = serve_->wait_for(60s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << stderr_text();
}

TEST_F(ServeTest, GivenOnlyADatabaseUrlItEmbedsNatsAlone) {
  ScratchDatabase db;
  start({"--database-url", db.url()});
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "data" / "nats"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data" / "pg"));
  ::kill(serve_->pid(), SIGTERM);
  ASSERT_TRUE(serve_->wait_for(60s));
}

}  // namespace
}  // namespace parkchat::testing
