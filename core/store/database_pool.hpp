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

namespace pqxx {
template <typename CONNECTPOLICY>
class basic_connection_base;
class connect_direct;
using connection = basic_connection_base<connect_direct>;
}  // namespace pqxx

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
  explicit DatabasePool(std::string url);
  void work(std::size_t index);

  std::string url_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<pqxx::connection>> connections_;
  std::vector<std::thread> workers_;
};

// Opens one connection (with a 5 s connect timeout unless the URL sets one); UNAVAILABLE naming
// host:port on failure, never the password.
Result<std::unique_ptr<pqxx::connection>> open_connection(const std::string& url);

}  // namespace parkchat::store
