#pragma once
// Parsing JSON that came from outside: nlohmann's parser is iterative, but copying or
// comparing a value recurses once per level, so a small, deeply nested document could exhaust
// the stack later, far from the parse. Documents nested deeper than any payload of CONTRACT
// needs are refused at the door. Pure.

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

namespace parkchat::proto {

// Deeper than this (arrays and objects inside each other) is refused.
constexpr std::size_t kMaxJsonDepth = 32;

// The deepest nesting of arrays and objects in `text`, ignoring brackets inside strings; stops
// counting once past `stop_after`.
std::size_t json_nesting_depth(std::string_view text, std::size_t stop_after = kMaxJsonDepth);

// Parses `text`; a discarded value (is_discarded()) when it is not JSON or is nested deeper
// than kMaxJsonDepth.
nlohmann::json parse_bounded_json(std::string_view text);

}  // namespace parkchat::proto
