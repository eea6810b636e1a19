#pragma once
// What every stored text (message content, room and member names, sender names) must be, checked
// once here for the gateway, the REST path, the service and booking events alike. PostgreSQL's
// text type cannot hold NUL (SQLSTATE 22P05): a NUL that was acknowledged could never be stored,
// and it failed the whole batch it came in. The other C0 controls have no place in chat text
// either; tab, line feed and carriage return do. Bidirectional marks (U+200E, U+202B …) are
// ordinary characters here: right-to-left text needs them.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/error.hpp"

namespace parkchat::chat {

// VALIDATION naming `field` unless `text` is UTF-8 of at most `max_chars` characters without a
// C0 control character other than tab, line feed and carriage return.
Result<void> check_stored_text(std::string_view field, std::string_view text, std::size_t max_chars);

// A name from a token, which a platform issued and we cannot refuse: invalid UTF-8 and every
// control character (C0, DEL, C1) dropped, cut to `max_chars` characters.
std::string clean_name(std::string_view name, std::size_t max_chars);

}  // namespace parkchat::chat
