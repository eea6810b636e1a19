#include "core/base/redact.hpp"

#include <cctype>

namespace parkchat {
namespace {

constexpr std::string_view kMask = "***";

// Hides the user info of every `scheme://user[:pass]@` in text.
std::string redact_user_info(std::string_view text) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const std::size_t scheme_end = text.find("://", at);
    if (scheme_end == std::string_view::npos) break;
    const std::size_t start = scheme_end + 3;
    // The authority ends at the path, query, fragment, the next URL of a list, or a blank.
    std::size_t end = start;
    while (end < text.size() && std::string_view("/?#, \t\r\n\"'").find(text[end]) == std::string_view::npos) ++end;
    const std::size_t at_sign = text.substr(start, end - start).rfind('@');
    out.append(text.substr(at, start - at));
    if (at_sign != std::string_view::npos) {
      const std::string_view user_info = text.substr(start, at_sign);
      const std::size_t colon = user_info.find(':');
      if (colon == std::string_view::npos) {
        out.append(kMask);  // a token
      } else {
        out.append(user_info.substr(0, colon + 1));
        out.append(kMask);
      }
      out.push_back('@');
      at = start + at_sign + 1;
    } else {
      at = start;
    }
  }
  out.append(text.substr(at));
  return out;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Hides the value of every `password=` (a key/value pair of libpq, or a query parameter).
std::string redact_password_values(std::string_view text) {
  constexpr std::string_view kKey = "password";
  std::string out;
  std::size_t at = 0;
  for (std::size_t i = 0; i + kKey.size() < text.size(); ++i) {
    if (!equals_ignoring_case(text.substr(i, kKey.size()), kKey)) continue;
    // A whole key: not the end of a longer word (`old_password=` is another key).
    if (i > 0 && (std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_')) continue;
    std::size_t j = i + kKey.size();
    while (j < text.size() && text[j] == ' ') ++j;
    if (j >= text.size() || text[j] != '=') continue;
    ++j;
    while (j < text.size() && text[j] == ' ') ++j;
    std::size_t value_end = j;
    if (value_end < text.size() && text[value_end] == '\'') {
      // A quoted libpq value: up to the closing quote, backslash escapes included.
      ++value_end;
      while (value_end < text.size() && text[value_end] != '\'') value_end += text[value_end] == '\\' ? 2 : 1;
      value_end = std::min(value_end + 1, text.size());
    } else {
      while (value_end < text.size() && std::string_view(" &;,\t\r\n\"").find(text[value_end]) == std::string_view::npos) {
        ++value_end;
      }
    }
    out.append(text.substr(at, j - at));
    out.append(kMask);
    at = value_end;
    i = value_end - 1;
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace

std::string redact_credentials(std::string_view text) { return redact_password_values(redact_user_info(text)); }

}  // namespace parkchat
