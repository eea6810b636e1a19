#pragma once
// Wall-clock timestamps as microseconds since the Unix epoch, and their ISO 8601 form
// ("2026-11-25T01:02:03.123456Z"), which round-trips exactly through PostgreSQL's timestamptz.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parkchat {

using Micros = std::int64_t;

Micros now_micros();
std::string format_iso8601(Micros micros);
// Accepts "YYYY-MM-DDTHH:MM:SS[.f{1,6}](Z|+00:00|±HH:MM)"; nullopt otherwise.
std::optional<Micros> parse_iso8601(std::string_view text);

}  // namespace parkchat
