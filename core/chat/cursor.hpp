#pragma once
// The opaque history cursor: the (createdAt, id) of the last message of a page, so the next page
// starts strictly after it in (createdAt DESC, id DESC) order, even among equal timestamps.

#include <optional>
#include <string>

#include "core/base/clock.hpp"

namespace parkchat::chat {

struct Cursor {
  Micros created_at = 0;
  std::string id;
};

std::string encode_cursor(const Cursor& cursor);
// nullopt for anything encode_cursor did not produce.
std::optional<Cursor> decode_cursor(const std::string& text);

}  // namespace parkchat::chat
