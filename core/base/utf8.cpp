#include "core/base/utf8.hpp"

#include <cstdint>

namespace parkchat {
namespace {

// Decodes one code point at text[at]; returns its byte length, or 0 when invalid.
std::size_t decode(std::string_view text, std::size_t at, std::uint32_t& cp) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char c = byte(at);
  std::size_t length;
  std::uint32_t min;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    length = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    length = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    length = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    unsigned char next = byte(at + i);
    if ((next & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (next & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return length;
}

bool is_space(std::uint32_t cp) {
  return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000 || cp == 0xFEFF;
}

}  // namespace

std::optional<std::size_t> utf8_length(std::string_view text) {
  std::size_t count = 0;
  std::uint32_t cp;
  for (std::size_t at = 0; at < text.size(); ++count) {
    std::size_t n = decode(text, at, cp);
    if (n == 0) return std::nullopt;
    at += n;
  }
  return count;
}

std::string_view trim_space(std::string_view text) {
  std::uint32_t cp;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t n = decode(text, begin, cp);
    if (n == 0 || !is_space(cp)) break;
    begin += n;
  }
  std::size_t end = text.size();
  // Walk back over whole code points: find the start of the last one, decode, test.
  while (end > begin) {
    std::size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    std::size_t n = decode(text, start, cp);
    if (n == 0 || start + n != end || !is_space(cp)) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

}  // namespace parkchat
