#pragma once
// One libpqxx connection, opened on demand and reopened after the database went away: each
// get() after a failure tries again. One owner thread.

#include <cstdint>
#include <memory>
#include <string>

#include "core/base/error.hpp"
#include "core/store/pqxx_fwd.hpp"

namespace parkchat::store {

class LazyConnection {
 public:
  explicit LazyConnection(std::string url);
  ~LazyConnection();
  LazyConnection(LazyConnection&&) noexcept;

  // The open connection, (re)opening it when needed; UNAVAILABLE (naming host:port) otherwise.
  Result<pqxx::connection*> get();
  // Forgets the connection after an error that may have broken it.
  void reset();

 private:
  std::string url_;
  std::unique_ptr<pqxx::connection> conn_;
  std::uint64_t failed_attempts_ = 0;  // since the last open connection
};

// Opens one connection (with a 5 s connect timeout unless the URL sets one); UNAVAILABLE naming
// host:port on failure, never the password.
Result<std::unique_ptr<pqxx::connection>> open_connection(const std::string& url);

}  // namespace parkchat::store
