#include "core/embedded/local_stack.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/embedded/host.hpp"

namespace parkchat::embedded {
namespace fs = std::filesystem;
namespace {

// An exclusive lock on <dir>/lock that lives as long as the returned descriptor.
Result<int> lock_data_dir(const fs::path& dir) {
  const fs::path path = dir / "lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fail(Errc::unavailable, "cannot open " + path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::ifstream in(path);
    std::string holder;
    in >> holder;
    ::close(fd);
    return fail(Errc::unavailable, "data dir " + dir.string() + " is in use by another parkchat (pid " +
                                       (holder.empty() ? "unknown" : holder) + ")");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::write(fd, pid.data(), pid.size()) < 0) {
    // The pid is only for the message above; the lock itself holds.
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<LocalStack>> LocalStack::start(const LocalStackOptions& options) {
  auto run_as = service_user();
  if (!run_as) return tl::unexpected(run_as.error());
  // The data dir stays ours; the service user only needs to pass through it.
  if (auto made = prepare_dir(options.dir, std::nullopt, 0755); !made) return tl::unexpected(made.error());
  auto lock_fd = lock_data_dir(options.dir);
  if (!lock_fd) return tl::unexpected(lock_fd.error());
  std::unique_ptr<LocalStack> stack(new LocalStack(fs::absolute(options.dir).lexically_normal(), *lock_fd));

  if (options.with_postgres) {
    PostgresServerOptions pg;
    pg.data_dir = stack->dir_ / "pg";
    pg.password_file = stack->dir_ / "pg-password";
    pg.log_path = (stack->dir_ / "postgres.log").string();
    pg.run_as = *run_as;
    pg.durability = options.durability;
    auto started = PostgresServer::start(pg);
    if (!started) return tl::unexpected(started.error());
    stack->postgres_ = std::move(*started);
  }
  if (options.with_nats) {
    NatsServerOptions nats;
    nats.store_dir = stack->dir_ / "nats";
    nats.log_path = (stack->dir_ / "nats.log").string();
    nats.run_as = *run_as;
    auto started = NatsServer::start(nats);
    if (!started) return tl::unexpected(started.error());  // ~LocalStack stops PostgreSQL
    stack->nats_ = std::move(*started);
  }
  return stack;
}

LocalStack::~LocalStack() {
  stop();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void LocalStack::stop() {
  if (nats_) nats_->stop();
  if (postgres_) postgres_->stop();
}

}  // namespace parkchat::embedded
