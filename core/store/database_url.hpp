#pragma once
// What a PostgreSQL URL points at, for messages that must name host and port but never the
// password. libpq parses the URL; nothing here re-implements its syntax.

#include <string>

#include "core/base/error.hpp"

namespace parkchat::store {

struct DatabaseEndpoint {
  std::string host;      // "127.0.0.1", or libpq's default when absent
  std::string port;      // "5432" when absent
  std::string dbname;
  std::string user;
  std::string password;  // for scrubbing messages only; never printed

  // "host:port (database D, user U)"
  std::string describe() const;
  // Replaces every occurrence of the password in text with "***".
  std::string scrub(std::string text) const;
};

// Fails with a VALIDATION error that quotes libpq's reason, with any password removed.
Result<DatabaseEndpoint> parse_database_url(const std::string& url);

}  // namespace parkchat::store
