#include "core/store/database_pool.hpp"

#include <pqxx/pqxx>

#include "core/obs/log.hpp"

namespace parkchat::store {
Result<std::unique_ptr<DatabasePool>> DatabasePool::open(const std::string& url, std::size_t size) {
  std::unique_ptr<DatabasePool> pool(new DatabasePool());
  for (std::size_t i = 0; i < size; ++i) {
    pool->connections_.emplace_back(url);
    if (auto conn = pool->connections_.back().get(); !conn) return tl::unexpected(conn.error());
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
  LazyConnection& conn = connections_[index];
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and nothing left to run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    auto open = conn.get();
    job(open ? *open : nullptr);
  }
}

}  // namespace parkchat::store
