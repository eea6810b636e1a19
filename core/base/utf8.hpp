#pragma once
// UTF-8 checks for text that arrives from clients.

#include <cstddef>
#include <optional>
#include <string_view>

namespace parkchat {

// The number of characters (code points) of valid UTF-8 text; nullopt when it is not valid
// UTF-8 (overlong forms, surrogates and code points past U+10FFFF are invalid).
std::optional<std::size_t> utf8_length(std::string_view text);

// The text without leading and trailing white space (ASCII and the Unicode spaces that
// messages realistically carry: NBSP, ideographic space, zero-width space, line separators).
std::string_view trim_space(std::string_view text);

}  // namespace parkchat
