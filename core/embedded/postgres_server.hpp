#pragma once
// A real PostgreSQL server in a directory of ours: initdb on first use (user `parkchat`, a
// generated password kept beside the data), started on a free loopback port with TCP only, and
// stopped with a fast shutdown (SIGINT; also sent by the kernel when we die).

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/error.hpp"
#include "core/embedded/child_process.hpp"

namespace parkchat::embedded {

// ephemeral trades crash safety for speed (fsync off): for test servers only.
enum class Durability { durable, ephemeral };

// Debian keeps PostgreSQL's server programs out of PATH, under /usr/lib/postgresql/<major>/bin:
// those folders, newest major first.
std::vector<std::string> debian_bin_dirs();

struct PostgresServerOptions {
  std::filesystem::path data_dir;       // PGDATA
  std::filesystem::path password_file;  // written on initdb, read on later starts
  std::string log_path;
  std::optional<RunAs> run_as;
  Durability durability = Durability::durable;
  std::string database = "parkchat";    // created when missing
  int port = 0;  // 0: a free port; otherwise this one (to restart a server where clients expect it)
};

class PostgresServer {
 public:
  static Result<std::unique_ptr<PostgresServer>> start(const PostgresServerOptions& options);

  // URL of `database` (or of the configured one), with the password.
  std::string url(const std::string& database) const;
  std::string url() const { return url(database_); }
  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  void stop();
  // What `pg_ctl stop -m immediate` does (SIGQUIT to the postmaster): every backend quits at
  // once, nothing is flushed, and the next start recovers from the WAL. Waits for the exit.
  void stop_immediately();

 private:
  PostgresServer(ChildProcess process, int port, std::string password, std::string database);
  ChildProcess process_;
  int port_;
  std::string password_;
  std::string database_;
};

}  // namespace parkchat::embedded
