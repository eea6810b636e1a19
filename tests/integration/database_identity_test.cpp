// A service on the wrong database is refused. Each database has one identity, written by its
// first migration; the services of the chat-service group announce theirs, and while two
// disagree every one of them stops serving (requests answered UNAVAILABLE naming both, /readyz
// failing) until the odd one goes. A read-only standby (a physical copy of the test database,
// made by pg_basebackup and started as a hot standby) shares the identity and is refused.

#include <gtest/gtest.h>

#include "core/auth/token.hpp"
#include "core/embedded/child_process.hpp"
#include "core/base/private_file.hpp"
#include "core/embedded/host.hpp"
#include "core/embedded/postgres_server.hpp"
#include "core/store/database_identity.hpp"
#include "tests/support/background_simulation.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/run_parkchat.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "identity-secret";

std::vector<std::string> service_args(const std::string& database_url) {
  return {"--nats-url", TestStack::get().nats_url(), "--database-url", database_url, "--jwt-secret", kSecret,
          "--roles", "service,api", "--threads", "1"};
}

HttpResult rooms_of(int port, std::int64_t user) {
  auto token = auth::mint_token({user, "Ann"}, kSecret, std::chrono::hours(1));
  return http_request(port, "GET", "/api/user/chat/rooms", "", {{"Authorization", "Bearer " + (token ? *token : "")}});
}

TEST(DatabaseIdentity, MigrateWritesItOnceAndKeepsIt) {
  ScratchDatabase db;
  auto up = run_parkchat({"migrate", "up", "--database-url", db.url()});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  auto first = store::read_database_identity(db.url());
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->id.size(), 36u);
  EXPECT_FALSE(first->standby);
  ASSERT_EQ(run_parkchat({"migrate", "up", "--database-url", db.url()}).exit_code, 0);
  auto again = store::read_database_identity(db.url());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, first->id);
}

TEST(DatabaseIdentity, ServicesOnTwoDatabasesStopServingUntilTheOddOneGoes) {
  ScratchDatabase right, wrong;
  ServeProcess a(service_args(right.url()));
  ASSERT_FALSE(a.url().empty()) << a.log();
  ASSERT_EQ(http_request(a.port(), "GET", "/readyz").status, 200);
  ASSERT_EQ(rooms_of(a.port(), 1).status, 200);

  auto odd = std::make_unique<ServeProcess>(service_args(wrong.url()));
  ASSERT_FALSE(odd->url().empty()) << odd->log();
  auto right_id = store::read_database_identity(right.url());
  auto wrong_id = store::read_database_identity(wrong.url());
  ASSERT_TRUE(right_id && wrong_id);
  ASSERT_NE(right_id->id, wrong_id->id);

  // Both stop: neither can know which is the odd one. Each says why, naming both identities.
  for (ServeProcess* serve : {&a, odd.get()}) {
    HttpResult ready;
    ASSERT_TRUE(wait_until([&] { return (ready = http_request(serve->port(), "GET", "/readyz")).status == 503; }, 10s))
        << serve->log();
    EXPECT_NE(ready.body.find(right_id->id), std::string::npos) << ready.body;
    EXPECT_NE(ready.body.find(wrong_id->id), std::string::npos) << ready.body;
    const HttpResult rooms = rooms_of(serve->port(), 1);
    EXPECT_EQ(rooms.status, 503) << rooms.body;
    EXPECT_EQ(rooms.code(), "UNAVAILABLE") << rooms.body;
    EXPECT_NE(rooms.body.find("disagree on the database"), std::string::npos) << rooms.body;
  }

  EXPECT_EQ(odd->stop(), 0);
  odd.reset();
  EXPECT_TRUE(wait_until([&] { return http_request(a.port(), "GET", "/readyz").status == 200; }, 10s)) << a.log();
  EXPECT_EQ(rooms_of(a.port(), 1).status, 200);
}

TEST(DatabaseIdentity, AReadOnlyStandbyIsRefused) {
  // The standby: a base backup of the test database's server, taken as the server's own user
  // and started beside it; it replays the primary's WAL and answers read-only.
  ScratchDatabase db;
  ASSERT_EQ(run_parkchat({"migrate", "up", "--database-url", db.url()}).exit_code, 0);
  auto primary = store::read_database_identity(db.url());
  ASSERT_TRUE(primary) << primary.error().message;
  ScratchDir dir;
  // As the server's own user (postgres, when we are root), who must own the copy.
  auto user = embedded::service_user();
  ASSERT_TRUE(user) << user.error().message;
  const std::optional<embedded::RunAs> run_as = *user;
  auto basebackup = embedded::find_program({"pg_basebackup"}, embedded::debian_bin_dirs());
  ASSERT_TRUE(basebackup) << "pg_basebackup not found";
  ASSERT_TRUE(embedded::prepare_dir(dir.path() / "standby", run_as));
  const std::string url = db.url();  // postgresql://USER:PASSWORD@127.0.0.1:PORT/DB
  const std::string credentials = url.substr(url.find("//") + 2, url.find('@') - url.find("//") - 2);
  embedded::SpawnOptions spawn;
  spawn.argv = {*basebackup, "-h", "127.0.0.1", "-p", std::to_string(database_port(url)), "-U",
                credentials.substr(0, credentials.find(':')), "-D", (dir.path() / "standby").string(), "-R", "-X", "stream", "-c", "fast"};
  spawn.env_changes = {"PGPASSWORD=" + credentials.substr(credentials.find(':') + 1)};
  spawn.run_as = run_as;
  spawn.output_path = (dir.path() / "basebackup.log").string();
  auto child = embedded::ChildProcess::spawn(spawn);
  ASSERT_TRUE(child) << child.error().message;
  ASSERT_EQ(child->wait_for(120s), 0) << embedded::tail_of_file(spawn.output_path);

  embedded::PostgresServerOptions options;
  options.data_dir = dir.path() / "standby";
  options.password_file = dir.path() / "password";
  ASSERT_TRUE(write_private_file(options.password_file, credentials.substr(credentials.find(':') + 1) + "\n"));
  options.log_path = (dir.path() / "standby.log").string();
  options.run_as = run_as;
  options.database = db.name();
  auto standby = embedded::PostgresServer::start(options);
  ASSERT_TRUE(standby) << standby.error().message;
  const std::string standby_url = (*standby)->url(db.name());

  auto identity = store::read_database_identity(standby_url);
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_TRUE(identity->standby);
  EXPECT_EQ(identity->id, primary->id) << "a physical copy shares the identity";

  auto refused = run_parkchat({"serve", "--nats-url", TestStack::get().nats_url(), "--database-url", standby_url,
                               "--jwt-secret", kSecret, "--roles", "service", "--listen", "127.0.0.1:0"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("read-only standby"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find(credentials.substr(credentials.find(':') + 1)), std::string::npos) << "no password";
  (*standby)->stop();
}

}  // namespace
}  // namespace parkchat::testing
