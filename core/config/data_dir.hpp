#pragma once
// Files of the embedded mode's data dir that other subcommands read: the JWT secret that serve
// generates once, and serve.json, which a running embedded serve writes so that `migrate` and
// friends find its PostgreSQL and NATS without being told. serve.json holds the database
// password, so both files are 0600.

#include <filesystem>
#include <optional>
#include <string>

#include <sys/types.h>

#include "core/base/error.hpp"
#include "core/config/settings.hpp"

namespace parkchat::config {

struct RunningServe {
  pid_t pid = 0;
  std::string nats_url;
  std::string database_url;
  pid_t nats_pid = 0;
  pid_t postgres_pid = 0;
};

std::filesystem::path serve_state_path(const std::filesystem::path& data_dir);
Result<void> write_running_serve(const std::filesystem::path& data_dir, const RunningServe& state);
// nullopt when no serve.json exists or the serve that wrote it is gone.
std::optional<RunningServe> read_running_serve(const std::filesystem::path& data_dir);
void remove_running_serve(const std::filesystem::path& data_dir);

// The configured JWT secret, else the one in <data dir>/jwt-secret. With `create`, a missing
// file is generated (32 random bytes, hex); without, its absence is an error that says what to do.
enum class CreateSecret { no, yes };
Result<std::string> jwt_secret(const Settings& settings, CreateSecret create);

// The configured database URL, else that of the embedded serve running in the data dir.
Result<std::string> database_url(const Settings& settings);

}  // namespace parkchat::config
