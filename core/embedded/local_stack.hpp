#pragma once
// The embedded NATS and PostgreSQL of one data dir, started and stopped together. `serve` uses
// it for its embedded default (CONTRACT §1) and the test harness for its throwaway servers.
//
// Layout of the data dir: lock, nats/ (JetStream store), nats.log, pg/ (PGDATA), pg-password,
// postgres.log. As root, nats/ and pg/ belong to the `postgres` user, who runs both servers.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/base/error.hpp"
#include "core/embedded/nats_server.hpp"
#include "core/embedded/postgres_server.hpp"

namespace parkchat::embedded {

struct LocalStackOptions {
  std::filesystem::path dir;
  Durability durability = Durability::durable;
  bool with_nats = true;
  bool with_postgres = true;
};

class LocalStack {
 public:
  // Locks the data dir (one stack per dir), then starts PostgreSQL and NATS. On failure, what
  // was started is stopped again.
  static Result<std::unique_ptr<LocalStack>> start(const LocalStackOptions& options);
  ~LocalStack();

  // Stops NATS, then PostgreSQL (the reverse of start); idempotent.
  void stop();

  const std::filesystem::path& dir() const { return dir_; }
  NatsServer* nats() const { return nats_.get(); }
  PostgresServer* postgres() const { return postgres_.get(); }

 private:
  LocalStack(std::filesystem::path dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}
  std::filesystem::path dir_;
  int lock_fd_;
  std::unique_ptr<PostgresServer> postgres_;
  std::unique_ptr<NatsServer> nats_;
};

}  // namespace parkchat::embedded
