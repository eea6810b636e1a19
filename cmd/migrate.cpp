// parkchat migrate up [N] | down [N|all] | status [--json] | redo | create NAME

#include <iomanip>
#include <iostream>
#include <limits>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cmd/command.hpp"
#include "core/config/data_dir.hpp"
#include "core/store/migrator.hpp"

namespace parkchat::cmd {
namespace {

struct MigrateOptions {
  config::Settings settings;
  std::string dir;
  bool dry_run = false;
  bool json = false;
  std::string count;
  std::string name;
};

Result<std::vector<store::Migration>> load(const MigrateOptions& o) {
  return o.dir.empty() ? store::builtin_migrations() : store::load_migrations(o.dir);
}

void print_steps(const std::vector<store::MigrationStep>& steps, bool dry_run) {
  for (const auto& step : steps) {
    const char* verb = step.direction == store::Direction::up ? "applied" : "reverted";
    if (dry_run) {
      std::cout << "-- " << step.origin << " (would be " << verb << ")\n" << step.sql;
      if (!step.sql.empty() && step.sql.back() != '\n') std::cout << "\n";
    } else {
      std::cout << verb << " " << step.label << " (" << step.elapsed.count() << " ms)\n";
    }
  }
}

void print_status(const std::vector<store::MigrationStatus>& rows, bool json) {
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& row : rows) {
      out.push_back({{"version", row.version},
                     {"name", row.name},
                     {"state", store::state_name(row.state)},
                     {"appliedAt", row.applied_at.empty() ? nlohmann::json() : nlohmann::json(row.applied_at)}});
    }
    std::cout << nlohmann::json{{"migrations", out}}.dump(2) << "\n";
    return;
  }
  std::size_t name_width = 4;
  for (const auto& row : rows) name_width = std::max(name_width, row.name.size());
  std::cout << std::left << std::setw(9) << "VERSION" << std::setw(static_cast<int>(name_width) + 2) << "NAME"
            << std::setw(9) << "STATE" << "APPLIED AT\n";
  for (const auto& row : rows) {
    std::cout << std::setw(9) << store::format_version(row.version) << std::setw(static_cast<int>(name_width) + 2)
              << row.name << std::setw(9) << store::state_name(row.state) << (row.applied_at.empty() ? "-" : row.applied_at)
              << "\n";
  }
  if (rows.empty()) std::cout << "(no migrations)\n";
}

Result<std::size_t> parse_count(const std::string& text, std::size_t fallback) {
  if (text.empty()) return fallback;
  if (text == "all") return std::numeric_limits<std::size_t>::max();
  try {
    std::size_t used = 0;
    long long n = std::stoll(text, &used);
    if (used == text.size() && n > 0) return static_cast<std::size_t>(n);
  } catch (const std::exception&) {
  }
  return fail(Errc::validation, "N must be a positive number or 'all', not '" + text + "'");
}

int run_action(const std::string& action, MigrateOptions& o) {
  if (int code = prepare(o.settings); code != 0) return code;
  const char* command = "migrate";
  if (action == "create") {
    auto paths = store::create_migration(o.dir.empty() ? "migrations" : o.dir, o.name);
    if (!paths) return report_failure(command, paths.error().message);
    for (const auto& path : *paths) std::cout << "created " << path.string() << "\n";
    return 0;
  }
  auto migrations = load(o);
  if (!migrations) return report_failure(command, migrations.error().message);
  auto url = config::database_url(o.settings);
  if (!url) {
    std::cerr << "parkchat migrate: " << url.error().message << "\n";
    return 2;
  }
  auto conn = store::PgConnection::connect(*url);
  if (!conn) return report_failure(command, conn.error().message);
  store::Migrator migrator(*conn, std::move(*migrations));
  const auto dry_run = o.dry_run ? store::DryRun::yes : store::DryRun::no;

  if (action == "status") {
    auto rows = migrator.status();
    if (!rows) return report_failure(command, rows.error().message);
    print_status(*rows, o.json);
    return 0;
  }
  Result<std::vector<store::MigrationStep>> steps = fail(Errc::internal, "unknown action");
  if (action == "up") {
    auto count = parse_count(o.count, std::numeric_limits<std::size_t>::max());
    if (!count) return report_failure(command, count.error().message);
    steps = migrator.up(*count, dry_run);
  } else if (action == "down") {
    auto count = parse_count(o.count, 1);
    if (!count) return report_failure(command, count.error().message);
    steps = migrator.down(*count, dry_run);
  } else if (action == "redo") {
    steps = migrator.redo(dry_run);
  }
  if (!steps) return report_failure(command, steps.error().message);
  print_steps(*steps, o.dry_run);
  if (steps->empty()) std::cout << (action == "up" ? "nothing to apply\n" : "nothing to revert\n");
  return 0;
}

}  // namespace

Run add_migrate(CLI::App& sub) {
  auto o = std::make_shared<MigrateOptions>();
  using config::Key;
  o->settings.add_to(sub, {Key::database_url, Key::data_dir, Key::log_level, Key::log_format});
  sub.add_option("--dir", o->dir, "read migrations from this folder instead of those built in");
  sub.require_subcommand(1);
  sub.footer(
      "Examples:\n"
      "  parkchat migrate status                 # the embedded serve's database\n"
      "  parkchat migrate up --database-url postgresql://chat@db.internal/chat\n"
      "  parkchat migrate down all --dry-run\n"
      "  parkchat migrate create add_room_topic --dir migrations");

  auto action = std::make_shared<std::string>();
  auto add = [&](const char* name, const char* help, const char* example) {
    CLI::App* a = sub.add_subcommand(name, help);
    a->fallthrough();
    a->footer(std::string("Example:\n  ") + example);
    a->callback([action, name] { *action = name; });
    return a;
  };
  CLI::App* up = add("up", "apply pending migrations (all, or the next N)", "parkchat migrate up 1 --dry-run");
  up->add_option("N", o->count, "how many to apply");
  up->add_flag("--dry-run", o->dry_run, "print the SQL instead of running it");
  CLI::App* down = add("down", "revert the newest N applied migrations (default 1, or all)", "parkchat migrate down all");
  down->add_option("N", o->count, "how many to revert, or 'all'");
  down->add_flag("--dry-run", o->dry_run, "print the SQL instead of running it");
  CLI::App* status = add("status", "list migrations and their state", "parkchat migrate status --json");
  status->add_flag("--json", o->json, "print JSON");
  CLI::App* redo = add("redo", "revert the newest migration and apply it again", "parkchat migrate redo");
  redo->add_flag("--dry-run", o->dry_run, "print the SQL instead of running it");
  CLI::App* create = add("create", "write the next NNNN_NAME.up.sql / .down.sql pair (into --dir, default migrations/)",
                         "parkchat migrate create add_room_topic");
  create->add_option("NAME", o->name, "lowercase letters, digits and _")->required();

  return [o, action] { return run_action(*action, *o); };
}

}  // namespace parkchat::cmd
