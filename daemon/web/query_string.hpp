#pragma once
// The query string of a request URL. Pure.

#include <map>
#include <string>

namespace parkchat::web {

// a=1&b=x%20y → {a: "1", b: "x y"}; malformed escapes are kept as they are.
std::map<std::string, std::string> parse_query(const std::string& query);

}  // namespace parkchat::web
