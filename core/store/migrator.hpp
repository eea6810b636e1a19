#pragma once
// Applies and reverts migrations on one PostgreSQL database, recording them in
// schema_migrations (version, name, checksum, applied_at). Each migration runs in its own
// transaction; a session advisory lock serialises concurrent runs, so two `migrate up` at once
// apply each migration exactly once. Blocking; runs on the caller's thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/error.hpp"
#include "core/store/migration_set.hpp"
#include "core/store/pg_connection.hpp"

namespace parkchat::store {

enum class MigrationState { applied, pending, drifted, unknown };
std::string_view state_name(MigrationState state);

struct MigrationStatus {
  std::int64_t version = 0;
  std::string name;
  MigrationState state = MigrationState::pending;
  std::string applied_at;  // ISO 8601 UTC, empty when pending
};

enum class Direction { up, down };
enum class DryRun { no, yes };

struct MigrationStep {
  std::int64_t version = 0;
  std::string label;   // 0001_chat_schema
  Direction direction = Direction::up;
  std::string origin;  // the file that ran
  std::string sql;
  std::chrono::milliseconds elapsed{0};
};

class Migrator {
 public:
  // `conn` must outlive the Migrator.
  Migrator(PgConnection& conn, std::vector<Migration> migrations);

  Result<std::vector<MigrationStatus>> status();
  // Applies pending migrations in version order, at most `limit` of them. Refuses to run when an
  // applied migration's file changed (drift) or is missing.
  Result<std::vector<MigrationStep>> up(std::optional<std::size_t> limit, DryRun dry_run);
  // Reverts the `count` most recently applied migrations, newest first.
  Result<std::vector<MigrationStep>> down(std::size_t count, DryRun dry_run);
  // Reverts the newest applied migration and applies it again.
  Result<std::vector<MigrationStep>> redo(DryRun dry_run);

 private:
  struct AppliedRow {
    std::int64_t version;
    std::string name;
    std::string checksum;
    std::string applied_at;
  };
  Result<std::vector<AppliedRow>> read_applied();
  Result<void> ensure_table();
  Result<std::vector<MigrationStep>> up_locked(std::optional<std::size_t> limit, DryRun dry_run);
  Result<std::vector<MigrationStep>> down_locked(std::size_t count, DryRun dry_run);
  Result<MigrationStep> run(const Migration& migration, Direction direction, DryRun dry_run);
  const Migration* find(std::int64_t version) const;

  PgConnection& conn_;
  std::vector<Migration> migrations_;
};

// Line and column (1-based) of a 1-based character position in UTF-8 text, as PostgreSQL reports
// positions in characters.
std::pair<int, int> line_and_column(std::string_view text, int char_position);

}  // namespace parkchat::store
