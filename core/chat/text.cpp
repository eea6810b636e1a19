#include "core/chat/text.hpp"

#include "core/base/utf8.hpp"

namespace parkchat::chat {
namespace {

bool is_refused_control(unsigned char c) { return c < 0x20 && c != '\t' && c != '\n' && c != '\r'; }

// The byte length of the UTF-8 sequence starting with `lead`, or 0 for a byte that cannot start one.
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 0;
}

}  // namespace

Result<void> check_stored_text(std::string_view field, std::string_view text, std::size_t max_chars) {
  auto length = utf8_length(text);
  if (!length) return fail(Errc::validation, std::string(field) + " is not valid UTF-8");
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_refused_control(c)) {
      return fail(Errc::validation, std::string(field) + " contains the control character U+00" +
                                        "0123456789ABCDEF"[c >> 4] + "0123456789ABCDEF"[c & 15] + " at byte " +
                                        std::to_string(i) + " (only tab, line feed and carriage return are allowed)");
    }
  }
  if (*length > max_chars) {
    return fail(Errc::validation, std::string(field) + " has " + std::to_string(*length) + " characters; at most " +
                                      std::to_string(max_chars) + " are allowed");
  }
  return {};
}

std::string clean_name(std::string_view name, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  std::size_t at = 0;
  while (at < name.size() && chars < max_chars) {
    const std::size_t n = sequence_length(static_cast<unsigned char>(name[at]));
    const std::string_view one = n == 0 || at + n > name.size() ? std::string_view() : name.substr(at, n);
    if (one.empty() || !utf8_length(one)) {  // not a valid sequence: skip the byte
      ++at;
      continue;
    }
    const auto lead = static_cast<unsigned char>(one[0]);
    const bool control = (n == 1 && (lead < 0x20 || lead == 0x7F)) ||
                         (n == 2 && lead == 0xC2 && static_cast<unsigned char>(one[1]) < 0xA0);  // C1: U+0080–U+009F
    if (!control) {
      out.append(one);
      ++chars;
    }
    at += n;
  }
  return out;
}

}  // namespace parkchat::chat
