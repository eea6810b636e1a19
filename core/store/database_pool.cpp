#include "core/store/database_pool.hpp"

#include <pqxx/pqxx>

#include "core/obs/log.hpp"
#include "core/store/database_url.hpp"

namespace parkchat::store {
namespace {

std::string with_connect_timeout(const std::string& url) {
  if (url.find("connect_timeout") != std::string::npos) return url;
  bool is_uri = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  if (!is_uri) return url + " connect_timeout=5";
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=5";
}

}  // namespace

Result<std::unique_ptr<pqxx::connection>> open_connection(const std::string& url) {
  auto endpoint = parse_database_url(url);
  if (!endpoint) return tl::unexpected(endpoint.error());
  try {
    auto conn = std::make_unique<pqxx::connection>(with_connect_timeout(url));
    // Timestamps are read as microseconds and written as ISO 8601 with a zone; UTC keeps any
    // text the server formats unambiguous.
    conn->set_variable("TimeZone", "'UTC'");
    return conn;
  } catch (const std::exception& e) {
    std::string reason = e.what();
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    for (char& c : reason) {
      if (c == '\n' || c == '\t') c = ' ';
    }
    return fail(Errc::unavailable,
                "cannot connect to PostgreSQL at " + endpoint->describe() + ": " + endpoint->scrub(reason));
  }
}

DatabasePool::DatabasePool(std::string url) : url_(std::move(url)) {}

Result<std::unique_ptr<DatabasePool>> DatabasePool::open(const std::string& url, std::size_t size) {
  std::unique_ptr<DatabasePool> pool(new DatabasePool(url));
  for (std::size_t i = 0; i < size; ++i) {
    auto conn = open_connection(url);
    if (!conn) return tl::unexpected(conn.error());
    pool->connections_.push_back(std::move(*conn));
  }
  for (std::size_t i = 0; i < size; ++i) pool->workers_.emplace_back([p = pool.get(), i] { p->work(i); });
  return pool;
}

DatabasePool::~DatabasePool() { stop(); }

void DatabasePool::submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
}

std::size_t DatabasePool::queued() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

void DatabasePool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
}

void DatabasePool::work(std::size_t index) {
  auto log = obs::logger("store");
  std::unique_ptr<pqxx::connection>& conn = connections_[index];
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left to run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (!conn || !conn->is_open()) {
      auto reopened = open_connection(url_);
      if (reopened) {
        conn = std::move(*reopened);
        log->info("database reconnected worker={}", index);
      } else {
        conn.reset();
        log->warn("database unavailable worker={} err={}", index, reopened.error().message);
      }
    }
    job(conn.get());
  }
}

}  // namespace parkchat::store
