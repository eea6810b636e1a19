#pragma once
// A blocking libpq connection for the migration runner and the embedded PostgreSQL setup.
// libpq rather than libpqxx here because a migration error must name the line it failed on, and
// libpqxx 6 drops the statement position that PostgreSQL reports. Not thread-safe: one owner.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "core/base/error.hpp"
#include "core/store/database_url.hpp"

struct pg_conn;

namespace parkchat::store {

// A failed statement, with what PostgreSQL said about it.
struct SqlFailure {
  std::string message;          // primary message, e.g. syntax error at or near "SELEC"
  std::string sqlstate;         // e.g. 42601
  std::optional<int> position;  // 1-based character offset into the statement text
  std::string detail;
};

using Row = std::vector<std::optional<std::string>>;
using Rows = std::vector<Row>;
using SqlResult = tl::expected<Rows, SqlFailure>;

class PgConnection {
 public:
  // Connects within `timeout` (libpq connect_timeout unless the URL sets its own). The error is
  // UNAVAILABLE and names host:port, database and user, never the password.
  static Result<PgConnection> connect(const std::string& url,
                                      std::chrono::seconds timeout = std::chrono::seconds(5));

  PgConnection(PgConnection&&) noexcept;
  PgConnection& operator=(PgConnection&&) noexcept;
  ~PgConnection();

  // Runs one or more statements (simple query protocol); rows of the last one, as text.
  SqlResult exec(const std::string& sql);
  // Runs one statement with text parameters ($1, $2, ...); nullopt is SQL NULL.
  SqlResult exec_params(const std::string& sql, const std::vector<std::optional<std::string>>& params);

  const DatabaseEndpoint& endpoint() const { return endpoint_; }

 private:
  PgConnection(pg_conn* conn, DatabaseEndpoint endpoint);
  struct Closer {
    void operator()(pg_conn* conn) const;
  };
  std::unique_ptr<pg_conn, Closer> conn_;
  DatabaseEndpoint endpoint_;
};

// "SQLSTATE 42601: syntax error at or near ..." for messages.
std::string describe(const SqlFailure& failure);

}  // namespace parkchat::store
