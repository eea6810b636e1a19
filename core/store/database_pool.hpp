#pragma once
// A fixed set of worker threads, each owning one libpqxx connection, that run database jobs
// handed to them from other threads (nats.c callbacks), so that no caller blocks on PostgreSQL.
// A broken connection is reopened before the next job; while the database is down, jobs get a
// null connection and answer UNAVAILABLE.

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/base/error.hpp"
#include "core/store/lazy_connection.hpp"


namespace parkchat::store {

class DatabasePool {
 public:
  // `conn` is null when the database cannot be reached.
  using Job = std::function<void(pqxx::connection* conn)>;

  // Opens `size` connections; fails (UNAVAILABLE, naming host:port) if the first cannot connect.
  static Result<std::unique_ptr<DatabasePool>> open(const std::string& url, std::size_t size);
  ~DatabasePool();

  void submit(Job job);
  // Runs what is queued, then joins the workers; idempotent.
  void stop();
  std::size_t queued() const;

 private:
  DatabasePool() = default;
  void work(std::size_t index);

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<LazyConnection> connections_;
  std::vector<std::thread> workers_;
};

}  // namespace parkchat::store
