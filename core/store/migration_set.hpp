#pragma once
// Versioned SQL migrations: NNNN_name.up.sql and NNNN_name.down.sql pairs, read from a folder or
// from the copy compiled into the binary. Pure apart from reading and writing files.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/error.hpp"

namespace parkchat::store {

struct MigrationFile {
  std::string origin;   // where it came from, for messages: a path, or "migrations/NAME (built in)"
  std::string name;     // file name, e.g. 0001_chat_schema.up.sql
  std::string content;
};

struct Migration {
  std::int64_t version = 0;
  std::string name;     // e.g. chat_schema
  MigrationFile up;
  MigrationFile down;
  std::string checksum;  // SHA-256 of the up file, hex; what drift detection compares

  // "0001_chat_schema"
  std::string label() const;
};

enum class FileRole { up, down };
struct MigrationFileName {
  std::int64_t version;
  std::string name;
  FileRole role;
};

// Parses "0001_chat_schema.up.sql"; refuses any other shape, naming the file.
Result<MigrationFileName> parse_migration_file_name(std::string_view file_name);

// Pairs up and down files and sorts them by version. Refuses a malformed name, a version used
// twice, and a migration without both halves.
Result<std::vector<Migration>> assemble_migrations(std::vector<MigrationFile> files);

// Every *.sql file of dir.
Result<std::vector<Migration>> load_migrations(const std::filesystem::path& dir);
// The migrations compiled into this binary.
Result<std::vector<Migration>> builtin_migrations();

// Writes the next empty NNNN_name.up.sql / .down.sql pair into dir; returns the two paths.
Result<std::vector<std::filesystem::path>> create_migration(const std::filesystem::path& dir,
                                                            std::string_view name);

// Formats a version with at least four digits: 1 -> "0001".
std::string format_version(std::int64_t version);

}  // namespace parkchat::store
