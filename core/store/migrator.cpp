#include "core/store/migrator.hpp"

#include <algorithm>
#include <map>

namespace parkchat::store {
namespace {

// "parkchat" in ASCII: the advisory lock key every migrate run takes.
constexpr const char* kLockKey = "8097880774427943284";

constexpr const char* kCreateTable = R"(CREATE TABLE IF NOT EXISTS schema_migrations (
  version bigint PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
))";

Error sql_error(const std::string& what, const SqlFailure& failure) {
  return Error{Errc::internal, what + ": " + describe(failure)};
}

// Holds the migrate advisory lock for one session; unlocks on scope exit.
class AdvisoryLock {
 public:
  explicit AdvisoryLock(PgConnection& conn) : conn_(conn) {}
  Result<void> acquire() {
    if (auto r = conn_.exec(std::string("SELECT pg_advisory_lock(") + kLockKey + ")"); !r) {
      return tl::unexpected(sql_error("cannot take the migration lock", r.error()));
    }
    held_ = true;
    return {};
  }
  ~AdvisoryLock() {
    if (held_) (void)conn_.exec(std::string("SELECT pg_advisory_unlock(") + kLockKey + ")");
  }
  AdvisoryLock(const AdvisoryLock&) = delete;
  AdvisoryLock& operator=(const AdvisoryLock&) = delete;

 private:
  PgConnection& conn_;
  bool held_ = false;
};

}  // namespace

std::string_view state_name(MigrationState state) {
  switch (state) {
    case MigrationState::applied: return "applied";
    case MigrationState::pending: return "pending";
    case MigrationState::drifted: return "drift";
    case MigrationState::unknown: return "unknown";
  }
  return "unknown";
}

std::pair<int, int> line_and_column(std::string_view text, int char_position) {
  int line = 1;
  int column = 1;
  int chars = 1;
  for (std::size_t i = 0; i < text.size() && chars < char_position; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) == 0x80) continue;  // UTF-8 continuation byte: same character
    ++chars;
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

Migrator::Migrator(PgConnection& conn, std::vector<Migration> migrations)
    : conn_(conn), migrations_(std::move(migrations)) {}

const Migration* Migrator::find(std::int64_t version) const {
  for (const Migration& m : migrations_) {
    if (m.version == version) return &m;
  }
  return nullptr;
}

Result<void> Migrator::ensure_table() {
  if (auto r = conn_.exec(kCreateTable); !r) return tl::unexpected(sql_error("cannot create schema_migrations", r.error()));
  return {};
}

Result<std::vector<Migrator::AppliedRow>> Migrator::read_applied() {
  auto exists = conn_.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
  if (!exists) return tl::unexpected(sql_error("cannot read schema_migrations", exists.error()));
  std::vector<AppliedRow> applied;
  if (exists->at(0).at(0) != std::optional<std::string>("t")) return applied;
  auto rows = conn_.exec(
      "SELECT version, name, checksum, "
      "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
      "FROM schema_migrations ORDER BY version");
  if (!rows) return tl::unexpected(sql_error("cannot read schema_migrations", rows.error()));
  for (const Row& row : *rows) {
    applied.push_back({std::stoll(*row[0]), *row[1], *row[2], *row[3]});
  }
  return applied;
}

Result<std::vector<MigrationStatus>> Migrator::status() {
  auto applied = read_applied();
  if (!applied) return tl::unexpected(applied.error());
  std::map<std::int64_t, MigrationStatus> by_version;
  for (const Migration& m : migrations_) by_version[m.version] = {m.version, m.name, MigrationState::pending, ""};
  for (const AppliedRow& row : *applied) {
    const Migration* file = find(row.version);
    MigrationState state = file == nullptr                 ? MigrationState::unknown
                           : file->checksum != row.checksum ? MigrationState::drifted
                                                            : MigrationState::applied;
    by_version[row.version] = {row.version, row.name, state, row.applied_at};
  }
  std::vector<MigrationStatus> out;
  for (auto& [version, s] : by_version) out.push_back(std::move(s));
  return out;
}

Result<std::vector<MigrationStep>> Migrator::up(std::optional<std::size_t> limit, DryRun dry_run) {
  AdvisoryLock lock(conn_);
  if (dry_run == DryRun::no) {
    if (auto r = lock.acquire(); !r) return tl::unexpected(r.error());
  }
  return up_locked(limit, dry_run);
}

Result<std::vector<MigrationStep>> Migrator::down(std::size_t count, DryRun dry_run) {
  AdvisoryLock lock(conn_);
  if (dry_run == DryRun::no) {
    if (auto r = lock.acquire(); !r) return tl::unexpected(r.error());
  }
  return down_locked(count, dry_run);
}

Result<std::vector<MigrationStep>> Migrator::redo(DryRun dry_run) {
  AdvisoryLock lock(conn_);
  if (dry_run == DryRun::no) {
    if (auto r = lock.acquire(); !r) return tl::unexpected(r.error());
  }
  auto applied = read_applied();
  if (!applied) return tl::unexpected(applied.error());
  if (applied->empty()) return fail(Errc::validation, "nothing to redo: no migration is applied");
  auto steps = down_locked(1, dry_run);
  if (!steps) return steps;
  if (dry_run == DryRun::yes) {
    // Nothing was reverted, so up_locked would not see it as pending: plan the re-apply here.
    const Migration* again = find(applied->back().version);
    steps->push_back({again->version, again->label(), Direction::up, again->up.origin, again->up.content, {}});
    return steps;
  }
  auto reapplied = up_locked(1, dry_run);
  if (!reapplied) return reapplied;
  steps->insert(steps->end(), reapplied->begin(), reapplied->end());
  return steps;
}

Result<std::vector<MigrationStep>> Migrator::up_locked(std::optional<std::size_t> limit, DryRun dry_run) {
  if (dry_run == DryRun::no) {
    if (auto r = ensure_table(); !r) return tl::unexpected(r.error());
  }
  auto applied = read_applied();
  if (!applied) return tl::unexpected(applied.error());

  std::string problems;
  std::map<std::int64_t, bool> done;
  for (const AppliedRow& row : *applied) {
    done[row.version] = true;
    const Migration* file = find(row.version);
    if (file == nullptr) {
      problems += "\n  " + format_version(row.version) + "_" + row.name +
                  ": applied, but this build has no such migration";
    } else if (file->checksum != row.checksum) {
      problems += "\n  " + file->up.origin + ": changed since it was applied on " + row.applied_at;
    }
  }
  if (!problems.empty()) {
    return fail(Errc::conflict, "migration drift, refusing to migrate up:" + problems +
                                    "\nrestore the applied files, or revert them first with `parkchat migrate down`");
  }

  std::vector<MigrationStep> steps;
  for (const Migration& m : migrations_) {
    if (done.count(m.version) != 0) continue;
    if (limit && steps.size() >= *limit) break;
    auto step = run(m, Direction::up, dry_run);
    if (!step) return tl::unexpected(step.error());
    steps.push_back(std::move(*step));
  }
  return steps;
}

Result<std::vector<MigrationStep>> Migrator::down_locked(std::size_t count, DryRun dry_run) {
  auto applied = read_applied();
  if (!applied) return tl::unexpected(applied.error());
  std::vector<MigrationStep> steps;
  for (auto row = applied->rbegin(); row != applied->rend() && steps.size() < count; ++row) {
    const Migration* m = find(row->version);
    if (m == nullptr) {
      return fail(Errc::validation, "cannot revert " + format_version(row->version) + "_" + row->name +
                                        ": this build has no down file for it");
    }
    auto step = run(*m, Direction::down, dry_run);
    if (!step) return tl::unexpected(step.error());
    steps.push_back(std::move(*step));
  }
  return steps;
}

Result<MigrationStep> Migrator::run(const Migration& m, Direction direction, DryRun dry_run) {
  const MigrationFile& file = direction == Direction::up ? m.up : m.down;
  MigrationStep step{m.version, m.label(), direction, file.origin, file.content, {}};
  if (dry_run == DryRun::yes) return step;

  auto started = std::chrono::steady_clock::now();
  if (auto r = conn_.exec("BEGIN"); !r) return tl::unexpected(sql_error("cannot begin a transaction", r.error()));
  auto rollback = [&](Error error) -> Result<MigrationStep> {
    if (auto r = conn_.exec("ROLLBACK"); !r) {
      error.message += "; the rollback failed too: " + describe(r.error());
    }
    return tl::unexpected(std::move(error));
  };

  if (auto r = conn_.exec(file.content); !r) {
    std::string where = file.origin;
    if (r.error().position) {
      auto [line, column] = line_and_column(file.content, *r.error().position);
      where += ":" + std::to_string(line) + ":" + std::to_string(column);
    }
    return rollback(Error{Errc::internal, where + ": " + describe(r.error()) + "\nmigration " + m.label() +
                                              " was rolled back; the database is as it was before it"});
  }
  SqlResult recorded =
      direction == Direction::up
          ? conn_.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                              {std::to_string(m.version), m.name, m.checksum})
          : conn_.exec_params("DELETE FROM schema_migrations WHERE version = $1", {std::to_string(m.version)});
  if (!recorded) return rollback(sql_error("cannot record " + m.label() + " in schema_migrations", recorded.error()));
  if (auto r = conn_.exec("COMMIT"); !r) return tl::unexpected(sql_error("cannot commit " + m.label(), r.error()));
  step.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return step;
}

}  // namespace parkchat::store
