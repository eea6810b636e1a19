#include "core/embedded/postgres_server.hpp"

#include <libpq-fe.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "core/base/private_file.hpp"
#include "core/base/random.hpp"
#include "core/embedded/host.hpp"
#include "core/store/pg_connection.hpp"

namespace parkchat::embedded {
namespace fs = std::filesystem;
namespace {

constexpr auto kInitdbTimeout = std::chrono::seconds(120);
constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr int kPortAttempts = 3;
constexpr const char* kUser = "parkchat";

}  // namespace

std::vector<std::string> debian_bin_dirs() {
  std::vector<std::string> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    dirs.push_back((entry.path() / "bin").string());
  }
  std::sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a > b;  // newest major first
  });
  return dirs;
}

namespace {

Result<std::string> write_password(const fs::path& path) {
  std::string password = random_hex(16);
  if (auto written = write_private_file(path, password + "\n"); !written) return tl::unexpected(written.error());
  return password;
}

Result<std::string> read_password(const fs::path& path) {
  std::ifstream in(path);
  std::string password;
  if (!(in >> password)) {
    return fail(Errc::unavailable, "cannot read the embedded PostgreSQL password from " + path.string() +
                                       "; remove the data dir to start afresh");
  }
  return password;
}

Result<void> initdb(const std::string& bin_dir, const PostgresServerOptions& options, const std::string& password) {
  if (auto prepared = prepare_dir(options.data_dir, options.run_as); !prepared) return prepared;
  // initdb reads the password from a file the service user can read; it lives only for the call.
  fs::path pwfile = options.data_dir.parent_path() / ".initdb-password";
  if (auto written = write_private_file(pwfile, password + "\n"); !written) return written;
  if (options.run_as) (void)!::chown(pwfile.c_str(), options.run_as->uid, options.run_as->gid);
  SpawnOptions spawn;
  spawn.argv = {bin_dir + "/initdb", "-D", options.data_dir.string(), "-U", kUser, "-A", "scram-sha-256",
                "--pwfile=" + pwfile.string(), "-E", "UTF8", "--no-locale"};
  if (options.durability == Durability::ephemeral) spawn.argv.push_back("--no-sync");
  spawn.run_as = options.run_as;
  spawn.output_path = options.log_path;
  auto status = run_to_completion(spawn, kInitdbTimeout);
  fs::remove(pwfile);
  if (!status || *status != 0) {
    // initdb wants an empty directory: leave none behind for the next attempt.
    std::error_code ignored;
    fs::remove_all(options.data_dir, ignored);
  }
  if (!status) return tl::unexpected(status.error());
  if (*status != 0) {
    return fail(Errc::unavailable, "initdb of " + options.data_dir.string() + " failed (status " + std::to_string(*status) +
                                       "); its log " + options.log_path + ":" + tail_of_file(options.log_path));
  }
  return {};
}


Result<void> ensure_database(const std::string& admin_url, const std::string& database) {
  auto conn = store::PgConnection::connect(admin_url);
  if (!conn) return tl::unexpected(conn.error());
  auto exists = conn->exec_params("SELECT 1 FROM pg_database WHERE datname = $1", {database});
  if (!exists) return fail(Errc::unavailable, "cannot list databases: " + store::describe(exists.error()));
  if (!exists->empty()) return {};
  // Identifiers cannot be parameters; the name is ours and plain (letters, digits, _).
  if (auto created = conn->exec("CREATE DATABASE " + database); !created) {
    return fail(Errc::unavailable, "cannot create database " + database + ": " + store::describe(created.error()));
  }
  return {};
}

}  // namespace

PostgresServer::PostgresServer(ChildProcess process, int port, std::string password, std::string database)
    : process_(std::move(process)), port_(port), password_(std::move(password)), database_(std::move(database)) {}

std::string PostgresServer::url(const std::string& database) const {
  return std::string("postgresql://") + kUser + ":" + password_ + "@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

Result<std::unique_ptr<PostgresServer>> PostgresServer::start(const PostgresServerOptions& options) {
  auto postgres = find_program({"postgres"}, debian_bin_dirs());
  if (!postgres) {
    return fail(Errc::unavailable,
                "PostgreSQL server binaries not found on PATH or under /usr/lib/postgresql/*/bin "
                "(apt-get install postgresql)");
  }
  // initdb sits beside the real postgres binary, which PATH may reach through a symlink.
  std::error_code ec;
  fs::path real = fs::canonical(*postgres, ec);
  const std::string bin_dir = (ec ? fs::path(*postgres) : real).parent_path().string();

  std::string password;
  if (!fs::exists(options.data_dir / "PG_VERSION")) {
    auto written = write_password(options.password_file);
    if (!written) return tl::unexpected(written.error());
    password = *written;
    if (auto made = initdb(bin_dir, options, password); !made) return tl::unexpected(made.error());
  } else {
    auto read = read_password(options.password_file);
    if (!read) return tl::unexpected(read.error());
    password = *read;
  }

  for (int attempt = 1;; ++attempt) {
    // Held until the server answers, so the server that answers is ours.
    auto reservation = PortReservation::reserve_unless(options.port);
    if (!reservation) return tl::unexpected(reservation.error());
    const int port = *reservation ? (*reservation)->port() : options.port;
    SpawnOptions spawn;
    spawn.argv = {*postgres, "-D", options.data_dir.string(), "-p", std::to_string(port),
                  "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                  // chat_rooms takes an update per room per stored batch: vacuum it within
                  // seconds, not the default minute (migration 0003).
                  "-c", "autovacuum_naptime=2s"};
    if (options.durability == Durability::ephemeral) {
      for (const char* setting : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
        spawn.argv.insert(spawn.argv.end(), {"-c", setting});
      }
    }
    spawn.run_as = options.run_as;
    spawn.output_path = options.log_path;
    spawn.death_signal = SIGINT;  // fast shutdown: clean, unlike SIGQUIT
    auto child = ChildProcess::spawn(spawn);
    if (!child) return tl::unexpected(child.error());

    const std::string where = "PostgreSQL on 127.0.0.1:" + std::to_string(port);
    const std::string ping = "host=127.0.0.1 port=" + std::to_string(port) + " dbname=postgres user=" + kUser +
                             " connect_timeout=2";
    bool ready = false;
    auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (!child->poll() && std::chrono::steady_clock::now() < deadline) {
      if (PQping(ping.c_str()) == PQPING_OK) {
        ready = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (ready) {
      std::unique_ptr<PostgresServer> server(new PostgresServer(std::move(*child), port, password, options.database));
      if (auto db = ensure_database(server->url("postgres"), options.database); !db) return tl::unexpected(db.error());
      return server;
    }
    if (!child->poll()) {
      child->stop(SIGKILL, std::chrono::seconds(5));
      return fail(Errc::unavailable, where + " did not accept connections within " +
                                         std::to_string(kStartTimeout.count()) + " s; its log " + options.log_path +
                                         ":" + tail_of_file(options.log_path));
    }
    if (options.port == 0 && attempt < kPortAttempts && file_mentions(options.log_path, "could not bind")) continue;
    return fail(Errc::unavailable, where + " exited with status " + std::to_string(*child->poll()) + "; its log " +
                                       options.log_path + ":" + tail_of_file(options.log_path));
  }
}

void PostgresServer::stop() { process_.stop(SIGINT, std::chrono::seconds(30)); }

void PostgresServer::stop_immediately() { process_.stop(SIGQUIT, std::chrono::seconds(30)); }

}  // namespace parkchat::embedded
