#include "core/store/pg_connection.hpp"

#include <libpq-fe.h>

#include <cstdlib>

namespace parkchat::store {
namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

SqlResult to_rows(PGresult* raw, pg_conn* conn) {
  std::unique_ptr<PGresult, decltype(&PQclear)> result(raw, &PQclear);
  ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY) return Rows{};
  if (status == PGRES_TUPLES_OK) {
    Rows rows;
    int n = PQntuples(result.get());
    int columns = PQnfields(result.get());
    rows.reserve(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r) {
      Row row;
      row.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result.get(), r, c)) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(PQgetvalue(result.get(), r, c),
                                       static_cast<std::size_t>(PQgetlength(result.get(), r, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }
  SqlFailure failure;
  if (!result) {
    failure.message = trimmed(PQerrorMessage(conn));
    return tl::unexpected(std::move(failure));
  }
  auto field = [&](int code) {
    const char* v = PQresultErrorField(result.get(), code);
    return std::string(v != nullptr ? v : "");
  };
  failure.message = field(PG_DIAG_MESSAGE_PRIMARY);
  if (failure.message.empty()) failure.message = trimmed(PQresultErrorMessage(result.get()));
  if (failure.message.empty()) failure.message = trimmed(PQerrorMessage(conn));
  failure.sqlstate = field(PG_DIAG_SQLSTATE);
  failure.detail = field(PG_DIAG_MESSAGE_DETAIL);
  if (auto position = field(PG_DIAG_STATEMENT_POSITION); !position.empty()) {
    failure.position = std::atoi(position.c_str());
  }
  return tl::unexpected(std::move(failure));
}

}  // namespace

void PgConnection::Closer::operator()(pg_conn* conn) const { PQfinish(conn); }

PgConnection::PgConnection(pg_conn* conn, DatabaseEndpoint endpoint)
    : conn_(conn), endpoint_(std::move(endpoint)) {}
PgConnection::PgConnection(PgConnection&&) noexcept = default;
PgConnection& PgConnection::operator=(PgConnection&&) noexcept = default;
PgConnection::~PgConnection() = default;

Result<PgConnection> PgConnection::connect(const std::string& url, std::chrono::seconds timeout) {
  auto endpoint = parse_database_url(url);
  if (!endpoint) return tl::unexpected(endpoint.error());
  const std::string timeout_text = std::to_string(timeout.count());
  // Keywords before "dbname" are defaults: values inside the URL override them.
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {timeout_text.c_str(), "parkchat", url.c_str(), nullptr};
  pg_conn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return fail(Errc::unavailable, "cannot connect to PostgreSQL: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string reason = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    for (auto& c : reason) {
      if (c == '\n' || c == '\t') c = ' ';
    }
    return fail(Errc::unavailable, "cannot connect to PostgreSQL at " + endpoint->describe() + ": " +
                                       endpoint->scrub(reason));
  }
  // Notices (e.g. "relation already exists, skipping") are not for the operator's terminal.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return PgConnection(conn, std::move(*endpoint));
}

SqlResult PgConnection::exec(const std::string& sql) { return to_rows(PQexec(conn_.get(), sql.c_str()), conn_.get()); }

SqlResult PgConnection::exec_params(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return to_rows(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                              nullptr, nullptr, 0),
                 conn_.get());
}

std::string describe(const SqlFailure& failure) {
  std::string text = failure.message;
  if (!failure.sqlstate.empty()) text += " (SQLSTATE " + failure.sqlstate + ")";
  if (!failure.detail.empty()) text += ": " + failure.detail;
  return text;
}

}  // namespace parkchat::store
