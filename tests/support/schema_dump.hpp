#pragma once
// A text description of a database's schema (tables, columns, constraints, indexes), to compare
// two schemas for equality.

#include <string>

namespace parkchat::testing {

std::string dump_schema(const std::string& database_url);

}  // namespace parkchat::testing
