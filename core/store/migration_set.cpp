#include "core/store/migration_set.hpp"


#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "core/base/encoding.hpp"
#include "core/store/embedded_migrations.hpp"

namespace parkchat::store {
namespace fs = std::filesystem;

std::string Migration::label() const { return format_version(version) + "_" + name; }

std::string format_version(std::int64_t version) {
  std::string digits = std::to_string(version);
  if (digits.size() < 4) digits.insert(0, 4 - digits.size(), '0');
  return digits;
}

Result<MigrationFileName> parse_migration_file_name(std::string_view file_name) {
  static const std::regex kPattern(R"(^([0-9]{4,18})_([a-z0-9][a-z0-9_]*)\.(up|down)\.sql$)");
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_match(file_name.begin(), file_name.end(), match, kPattern)) {
    return fail(Errc::validation, "malformed migration file name '" + std::string(file_name) +
                                      "': expected NNNN_name.up.sql or NNNN_name.down.sql "
                                      "(digits, then lowercase letters, digits and _)");
  }
  MigrationFileName parsed;
  parsed.version = std::stoll(match[1].str());
  parsed.name = match[2].str();
  parsed.role = match[3].str() == "up" ? FileRole::up : FileRole::down;
  if (parsed.version <= 0) {
    return fail(Errc::validation, "migration file '" + std::string(file_name) + "': version must be at least 1");
  }
  return parsed;
}

Result<std::vector<Migration>> assemble_migrations(std::vector<MigrationFile> files) {
  std::map<std::int64_t, Migration> by_version;
  std::map<std::int64_t, std::pair<bool, bool>> halves;
  for (MigrationFile& file : files) {
    auto parsed = parse_migration_file_name(file.name);
    if (!parsed) return tl::unexpected(parsed.error());
    Migration& m = by_version[parsed->version];
    auto& [has_up, has_down] = halves[parsed->version];
    if (!m.name.empty() && m.name != parsed->name) {
      return fail(Errc::validation, "migration version " + format_version(parsed->version) + " is used twice: '" +
                                        m.label() + "' and '" + file.name + "'");
    }
    m.version = parsed->version;
    m.name = parsed->name;
    bool& seen = parsed->role == FileRole::up ? has_up : has_down;
    if (seen) return fail(Errc::validation, "migration file '" + file.name + "' appears twice");
    seen = true;
    (parsed->role == FileRole::up ? m.up : m.down) = std::move(file);
  }
  std::vector<Migration> out;
  out.reserve(by_version.size());
  for (auto& [version, m] : by_version) {
    auto [has_up, has_down] = halves[version];
    if (!has_up || !has_down) {
      return fail(Errc::validation, "migration " + m.label() + " has no " + (has_up ? "down" : "up") +
                                        " file (" + m.label() + (has_up ? ".down.sql" : ".up.sql") + ")");
    }
    m.checksum = sha256_hex(m.up.content);
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<Migration>> load_migrations(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return fail(Errc::validation, "migrations folder " + dir.string() + " does not exist");
  std::vector<MigrationFile> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) return fail(Errc::validation, "cannot read " + entry.path().string());
    std::ostringstream content;
    content << in.rdbuf();
    files.push_back({entry.path().string(), entry.path().filename().string(), content.str()});
  }
  if (ec) return fail(Errc::validation, "cannot list " + dir.string() + ": " + ec.message());
  return assemble_migrations(std::move(files));
}

Result<std::vector<Migration>> builtin_migrations() {
  std::vector<MigrationFile> files;
  for (const EmbeddedFile& f : embedded_migration_files()) {
    files.push_back({"migrations/" + std::string(f.name) + " (built in)", std::string(f.name), std::string(f.content)});
  }
  return assemble_migrations(std::move(files));
}

Result<std::vector<fs::path>> create_migration(const fs::path& dir, std::string_view name) {
  static const std::regex kName("^[a-z0-9][a-z0-9_]*$");
  if (!std::regex_match(name.begin(), name.end(), kName)) {
    return fail(Errc::validation, "migration name '" + std::string(name) +
                                      "': use lowercase letters, digits and _ (e.g. add_room_topic)");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(Errc::validation, "cannot create " + dir.string() + ": " + ec.message());
  std::int64_t next = 1;
  if (auto existing = load_migrations(dir); existing && !existing->empty()) {
    next = existing->back().version + 1;
  } else if (!existing) {
    return tl::unexpected(existing.error());
  }
  std::vector<fs::path> paths;
  for (const char* role : {"up", "down"}) {
    fs::path path = dir / (format_version(next) + "_" + std::string(name) + "." + role + ".sql");
    std::ofstream out(path, std::ios::binary);
    out << "-- " << format_version(next) << "_" << name << " (" << role << ")\n";
    if (!out) return fail(Errc::validation, "cannot write " + path.string());
    paths.push_back(path);
  }
  return paths;
}


}  // namespace parkchat::store
