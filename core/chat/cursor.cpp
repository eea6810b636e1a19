#include "core/chat/cursor.hpp"

#include "core/base/uuid.hpp"

namespace parkchat::chat {

std::string encode_cursor(const Cursor& cursor) { return std::to_string(cursor.created_at) + "_" + cursor.id; }

namespace {
// 9999-12-31T23:59:59.999999Z: no message is later, and PostgreSQL refuses timestamps far
// enough past it (SQLSTATE 22008) that a forged cursor must stop here, not in the database.
constexpr Micros kLatestCursorTime = 253402300799999999;
}  // namespace

std::optional<Cursor> decode_cursor(const std::string& text) {
  auto sep = text.find('_');
  if (sep == std::string::npos || sep == 0 || sep > 18) return std::nullopt;
  Cursor cursor;
  for (std::size_t i = 0; i < sep; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    cursor.created_at = cursor.created_at * 10 + (c - '0');  // 18 digits fit
  }
  if (cursor.created_at > kLatestCursorTime) return std::nullopt;
  cursor.id = text.substr(sep + 1);
  if (!is_uuid(cursor.id)) return std::nullopt;
  cursor.id = canonical_uuid(cursor.id);
  return cursor;
}

}  // namespace parkchat::chat
