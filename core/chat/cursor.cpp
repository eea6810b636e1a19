#include "core/chat/cursor.hpp"

#include "core/base/uuid.hpp"

namespace parkchat::chat {

std::string encode_cursor(const Cursor& cursor) { return std::to_string(cursor.created_at) + "_" + cursor.id; }

std::optional<Cursor> decode_cursor(const std::string& text) {
  auto sep = text.find('_');
  if (sep == std::string::npos || sep == 0 || sep > 19) return std::nullopt;
  Cursor cursor;
  for (std::size_t i = 0; i < sep; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    cursor.created_at = cursor.created_at * 10 + (c - '0');
  }
  cursor.id = text.substr(sep + 1);
  if (!is_uuid(cursor.id)) return std::nullopt;
  cursor.id = canonical_uuid(cursor.id);
  return cursor;
}

}  // namespace parkchat::chat
