#include "core/store/database_identity.hpp"

#include "core/store/pg_connection.hpp"

namespace parkchat::store {

Result<DatabaseIdentity> read_database_identity(const std::string& database_url) {
  auto conn = PgConnection::connect(database_url);
  if (!conn) return tl::unexpected(conn.error());
  const DatabaseEndpoint& endpoint = conn->endpoint();
  DatabaseIdentity identity;
  identity.where = endpoint.host + ":" + endpoint.port + "/" + endpoint.dbname;
  auto state = conn->exec("SELECT to_regclass('database_identity') IS NOT NULL, pg_is_in_recovery()");
  if (!state || state->empty()) {
    return fail(Errc::unavailable, "database identity of " + identity.where + ": " +
                                       (state ? std::string("no answer") : describe(state.error())));
  }
  identity.standby = (*state)[0][1] == std::optional<std::string>("t");
  auto rows = (*state)[0][0] == std::optional<std::string>("t") ? conn->exec("SELECT id::text FROM database_identity")
                                                                 : SqlResult(Rows{});
  if (!rows) return fail(Errc::unavailable, "database identity of " + identity.where + ": " + describe(rows.error()));
  if (rows->empty() || !(*rows)[0][0]) {
    return fail(Errc::not_found, "database " + identity.where + " has no identity: run `parkchat migrate up` on it");
  }
  identity.id = *(*rows)[0][0];
  return identity;
}

}  // namespace parkchat::store
