#pragma once
// Which database a service is on (migrations/0004_database_identity.up.sql): its UUID, shared
// by its physical replicas, and whether this server is a read-only standby.

#include <string>

#include "core/base/error.hpp"

namespace parkchat::store {

struct DatabaseIdentity {
  std::string id;     // the UUID `parkchat migrate` wrote
  std::string where;  // host:port/database, for messages (no credentials)
  bool standby = false;  // pg_is_in_recovery(): a read-only standby
};

// Reads the identity; UNAVAILABLE naming host:port when the database cannot be reached,
// NOT_FOUND when it has no identity (not migrated).
Result<DatabaseIdentity> read_database_identity(const std::string& database_url);

}  // namespace parkchat::store
