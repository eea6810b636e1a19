// `parkchat migrate` and the Migrator against a real PostgreSQL: a fresh database per test.

#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/store/migrator.hpp"
#include "tests/support/run_parkchat.hpp"
#include "tests/support/schema_dump.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using store::DryRun;
using store::MigrationState;

class MigrateTest : public ::testing::Test {
 protected:
  store::PgConnection connect() {
    auto conn = store::PgConnection::connect(db_.url());
    if (!conn) {
      ADD_FAILURE() << conn.error().message;
      std::abort();
    }
    return std::move(*conn);
  }

  std::vector<store::Migration> builtin() {
    auto set = store::builtin_migrations();
    EXPECT_TRUE(set);
    return set ? *set : std::vector<store::Migration>{};
  }

  // The single value of a query.
  std::string scalar(const std::string& sql) {
    auto conn = connect();
    auto rows = conn.exec(sql);
    if (!rows) {
      ADD_FAILURE() << sql << ": " << store::describe(rows.error());
      return {};
    }
    return rows->at(0).at(0).value_or("NULL");
  }

  void write_file(const std::string& name, const std::string& content) {
    std::ofstream(dir_.path() / name, std::ios::binary | std::ios::trunc) << content;
  }

  CommandResult migrate(std::vector<std::string> args) {
    args.insert(args.begin(), "migrate");
    args.insert(args.end(), {"--database-url", db_.url()});
    return run_parkchat(args);
  }

  ScratchDatabase db_;
  ScratchDir dir_;
};

TEST_F(MigrateTest, UpCreatesTheSeedSchemaWithItsIndexes) {
  auto conn = connect();
  store::Migrator migrator(conn, builtin());
  auto steps = migrator.up(std::nullopt, DryRun::no);
  ASSERT_TRUE(steps) << steps.error().message;
  ASSERT_EQ(steps->size(), builtin().size());
  EXPECT_EQ(steps->front().label, "0001_chat_schema");

  EXPECT_EQ(scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN "
                   "('chat_rooms', 'chat_room_members', 'chat_messages', 'message_reads', 'schema_migrations')"),
            "5");
  for (const char* index : {"chat_rooms_type_updated_idx", "chat_room_members_user_left_idx",
                            "chat_room_members_room_user_idx", "chat_messages_room_created_idx",
                            "chat_messages_room_id_idx", "message_reads_message_user_idx"}) {
    EXPECT_EQ(scalar(std::string("SELECT count(*) FROM pg_indexes WHERE indexname = '") + index + "'"), "1") << index;
  }
  auto status = migrator.status();
  ASSERT_TRUE(status);
  ASSERT_EQ(status->size(), builtin().size());
  for (const auto& row : *status) {
    EXPECT_EQ(row.state, MigrationState::applied) << row.name;
    EXPECT_FALSE(row.applied_at.empty());
  }
}

TEST_F(MigrateTest, DownAllAndUpAgainGivesAnIdenticalSchema) {
  auto up = migrate({"up"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_NE(up.out.find("applied 0001_chat_schema"), std::string::npos) << up.out;
  const std::string first = dump_schema(db_.url());
  ASSERT_NE(first.find("chat_messages"), std::string::npos);

  auto down = migrate({"down", "all"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.out.find("reverted 0001_chat_schema"), std::string::npos) << down.out;
  EXPECT_EQ(scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
                   "AND table_name <> 'schema_migrations'"),
            "0");
  auto status = migrate({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto json = nlohmann::json::parse(status.out);
  EXPECT_EQ(json["migrations"][0]["state"], "pending");
  EXPECT_TRUE(json["migrations"][0]["appliedAt"].is_null());

  ASSERT_EQ(migrate({"up"}).exit_code, 0);
  EXPECT_EQ(dump_schema(db_.url()), first);
  auto again = migrate({"up"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("nothing to apply"), std::string::npos) << again.out;
}

TEST_F(MigrateTest, StatusPrintsATable) {
  ASSERT_EQ(migrate({"up"}).exit_code, 0);
  auto status = migrate({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("VERSION"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("0001"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("chat_schema"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("applied"), std::string::npos) << status.out;
}

TEST_F(MigrateTest, ConcurrentUpRunsApplyEachMigrationOnce) {
  // Hold the migration lock so that both runs are surely inside `up` at the same time, then let go.
  auto holder = connect();
  ASSERT_TRUE(holder.exec("SELECT pg_advisory_lock(8097880774427943284)"));
  std::vector<CommandResult> results(2);
  std::vector<std::thread> runs;
  for (auto& result : results) runs.emplace_back([&] { result = migrate({"up"}); });

  auto observer = connect();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string waiting;
  while (std::chrono::steady_clock::now() < deadline) {
    auto rows = observer.exec("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
    ASSERT_TRUE(rows);
    waiting = *rows->at(0).at(0);
    if (waiting == "2") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(waiting, "2") << "both runs should be waiting for the lock";
  ASSERT_TRUE(holder.exec("SELECT pg_advisory_unlock(8097880774427943284)"));
  for (auto& run : runs) run.join();

  // The migration's CREATE TABLEs would fail if run twice.
  for (const auto& result : results) EXPECT_EQ(result.exit_code, 0) << result.err;
  int applied_lines = 0;
  for (const auto& result : results) applied_lines += result.out.find("applied 0001") != std::string::npos;
  EXPECT_EQ(applied_lines, 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), std::to_string(builtin().size()));
}

TEST_F(MigrateTest, ChangedAppliedFileIsDriftAndUpRefuses) {
  write_file("0001_first.up.sql", "CREATE TABLE first (id int);\n");
  write_file("0001_first.down.sql", "DROP TABLE first;\n");
  ASSERT_EQ(migrate({"up", "--dir", dir_.path().string()}).exit_code, 0);
  write_file("0001_first.up.sql", "CREATE TABLE first (id bigint);\n");
  write_file("0002_second.up.sql", "CREATE TABLE second (id int);\n");
  write_file("0002_second.down.sql", "DROP TABLE second;\n");

  auto status = migrate({"status", "--json", "--dir", dir_.path().string()});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto json = nlohmann::json::parse(status.out);
  EXPECT_EQ(json["migrations"][0]["state"], "drift");
  EXPECT_EQ(json["migrations"][1]["state"], "pending");

  auto up = migrate({"up", "--dir", dir_.path().string()});
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_NE(up.err.find("drift"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("0001_first.up.sql"), std::string::npos) << up.err;
  EXPECT_EQ(scalar("SELECT to_regclass('second') IS NULL"), "t") << "nothing may run after drift";

  // Redo re-applies the changed newest migration: the usual way to iterate on one.
  auto redo = migrate({"redo", "--dir", dir_.path().string()});
  // 0001 is not the newest applied... it is: only 0001 is applied.
  ASSERT_EQ(redo.exit_code, 0) << redo.err;
  EXPECT_EQ(scalar("SELECT data_type FROM information_schema.columns WHERE table_name = 'first'"), "bigint");
  ASSERT_EQ(migrate({"up", "--dir", dir_.path().string()}).exit_code, 0);
}

TEST_F(MigrateTest, FailingMigrationNamesFileAndLineAndIsRolledBack) {
  write_file("0001_ok.up.sql", "CREATE TABLE ok (id int);\n");
  write_file("0001_ok.down.sql", "DROP TABLE ok;\n");
  write_file("0002_bad.up.sql", "CREATE TABLE partial (id int);\n-- a typo follows\nSELEC 1;\n");
  write_file("0002_bad.down.sql", "DROP TABLE partial;\n");
  auto up = migrate({"up", "--dir", dir_.path().string()});
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_NE(up.err.find("0002_bad.up.sql:3:1"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("rolled back"), std::string::npos) << up.err;
  EXPECT_EQ(scalar("SELECT to_regclass('ok') IS NOT NULL"), "t");
  EXPECT_EQ(scalar("SELECT to_regclass('partial') IS NULL"), "t");
  EXPECT_EQ(scalar("SELECT string_agg(version::text, ',') FROM schema_migrations"), "1");
}

TEST_F(MigrateTest, ErrorWithoutAPositionStillNamesTheFile) {
  write_file("0001_dupes.up.sql",
             "CREATE TABLE dupes (a int);\nINSERT INTO dupes VALUES (1), (1);\nCREATE UNIQUE INDEX ON dupes (a);\n");
  write_file("0001_dupes.down.sql", "DROP TABLE dupes;\n");
  auto up = migrate({"up", "--dir", dir_.path().string()});
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_NE(up.err.find("0001_dupes.up.sql"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find("23505"), std::string::npos) << up.err;
  EXPECT_EQ(scalar("SELECT to_regclass('dupes') IS NULL"), "t");
}

TEST_F(MigrateTest, UpWithACountAppliesOnlyThatMany) {
  for (const char* name : {"0001_a", "0002_b", "0003_c"}) {
    std::string table = std::string(name).substr(5);
    write_file(std::string(name) + ".up.sql", "CREATE TABLE " + table + " (id int);\n");
    write_file(std::string(name) + ".down.sql", "DROP TABLE " + table + ";\n");
  }
  ASSERT_EQ(migrate({"up", "2", "--dir", dir_.path().string()}).exit_code, 0);
  EXPECT_EQ(scalar("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"), "1,2");
  ASSERT_EQ(migrate({"down", "--dir", dir_.path().string()}).exit_code, 0);
  EXPECT_EQ(scalar("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations"), "1");
  EXPECT_EQ(migrate({"up", "0", "--dir", dir_.path().string()}).exit_code, 1);
}

TEST_F(MigrateTest, DryRunPrintsTheSqlAndChangesNothing) {
  auto dry = migrate({"up", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("CREATE TABLE chat_rooms"), std::string::npos) << dry.out;
  EXPECT_EQ(scalar("SELECT to_regclass('schema_migrations') IS NULL AND to_regclass('chat_rooms') IS NULL"), "t");

  ASSERT_EQ(migrate({"up"}).exit_code, 0);
  const store::Migration newest = builtin().back();
  auto dry_down = migrate({"down", "--dry-run"});
  ASSERT_EQ(dry_down.exit_code, 0) << dry_down.err;
  EXPECT_NE(dry_down.out.find(newest.down.content), std::string::npos) << dry_down.out;
  auto dry_redo = migrate({"redo", "--dry-run"});
  ASSERT_EQ(dry_redo.exit_code, 0) << dry_redo.err;
  EXPECT_NE(dry_redo.out.find(newest.down.content), std::string::npos) << dry_redo.out;
  EXPECT_NE(dry_redo.out.find(newest.up.content), std::string::npos) << dry_redo.out;
  EXPECT_EQ(scalar("SELECT count(*) FROM schema_migrations"), std::to_string(builtin().size()));
  EXPECT_EQ(scalar("SELECT to_regclass('chat_rooms') IS NOT NULL"), "t");
}

TEST_F(MigrateTest, MalformedFileNameIsRefusedByName) {
  write_file("0001_ok.up.sql", "SELECT 1;\n");
  write_file("0001_ok.down.sql", "SELECT 1;\n");
  write_file("2-oops.sql", "SELECT 1;\n");
  auto up = migrate({"up", "--dir", dir_.path().string()});
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_NE(up.err.find("2-oops.sql"), std::string::npos) << up.err;
}

TEST_F(MigrateTest, CreateWritesTheNextPair) {
  write_file("0001_ok.up.sql", "SELECT 1;\n");
  write_file("0001_ok.down.sql", "SELECT 1;\n");
  auto created = run_parkchat({"migrate", "create", "add_topic", "--dir", dir_.path().string()});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "0002_add_topic.up.sql"));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "0002_add_topic.down.sql"));
  EXPECT_EQ(run_parkchat({"migrate", "create", "Bad-Name", "--dir", dir_.path().string()}).exit_code, 1);
}

TEST(MigrateConnectionTest, UnreachableDatabaseFailsFastNamingHostAndPortNotPassword) {
  // Held, not merely free: a port let go could be taken by a server of another test binary.
  ReservedPort closed;
  const std::string where = closed.address();
  auto r = run_parkchat({"migrate", "up", "--database-url", "postgresql://chat:s3cretpw@" + where + "/chat"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(where), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("s3cretpw"), std::string::npos) << r.err;
  EXPECT_LT(r.elapsed, std::chrono::seconds(10));

  // A host that never answers: libpq's connect timeout bounds the wait.
  auto silent = run_parkchat({"migrate", "status"}, {"DATABASE_URL=postgresql://chat:s3cretpw@10.255.255.1:5432/chat"});
  EXPECT_EQ(silent.exit_code, 1);
  EXPECT_NE(silent.err.find("10.255.255.1:5432"), std::string::npos) << silent.err;
  EXPECT_EQ(silent.err.find("s3cretpw"), std::string::npos) << silent.err;
  EXPECT_LT(silent.elapsed, std::chrono::seconds(10));
}

TEST(MigrateConnectionTest, WrongPasswordAndMalformedUrlAreClear) {
  auto url = TestStack::get().database_url("postgres");
  auto at = url.find('@');
  const std::string wrong = "postgresql://parkchat:wr0ngpass" + url.substr(at);
  auto r = run_parkchat({"migrate", "status", "--database-url", wrong});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("password authentication failed"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("wr0ngpass"), std::string::npos) << r.err;

  auto malformed = run_parkchat({"migrate", "status", "--database-url", "postgresql://u:hunter22@host:notaport/db"});
  EXPECT_EQ(malformed.exit_code, 1);
  EXPECT_EQ(malformed.err.find("hunter22"), std::string::npos) << malformed.err;
  EXPECT_NE(malformed.err.find("notaport"), std::string::npos) << malformed.err;
}

TEST(MigrateConnectionTest, NoDatabaseAndNoRunningServeIsAUsageError) {
  ScratchDir empty;
  auto r = run_parkchat({"migrate", "status", "--data-dir", empty.path().string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--database-url"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace parkchat::testing
