#include "tests/support/schema_dump.hpp"

#include <gtest/gtest.h>

#include "core/store/pg_connection.hpp"

namespace parkchat::testing {

std::string dump_schema(const std::string& database_url) {
  auto conn = store::PgConnection::connect(database_url);
  if (!conn) {
    ADD_FAILURE() << conn.error().message;
    return {};
  }
  const char* queries[] = {
      "SELECT table_name || '.' || column_name || ' ' || data_type || ' null=' || is_nullable || "
      "' default=' || coalesce(column_default, '-') FROM information_schema.columns "
      "WHERE table_schema = 'public' ORDER BY table_name, column_name",
      "SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint "
      "WHERE connamespace = 'public'::regnamespace ORDER BY conrelid::regclass::text, conname",
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname",
  };
  std::string out;
  for (const char* query : queries) {
    auto rows = conn->exec(query);
    if (!rows) {
      ADD_FAILURE() << store::describe(rows.error());
      return {};
    }
    for (const auto& row : *rows) out += row.at(0).value_or("NULL") + "\n";
  }
  return out;
}

}  // namespace parkchat::testing
