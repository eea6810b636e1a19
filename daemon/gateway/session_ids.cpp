#include "daemon/gateway/session_ids.hpp"

#include "core/base/random.hpp"

namespace parkchat::gateway {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string new_session_id(std::size_t shard) {
  std::string sid{kHex[(shard >> 4) & 15], kHex[shard & 15]};
  return sid + random_hex(9);
}

std::optional<std::size_t> session_shard(std::string_view target) {
  auto query = target.find('?');
  if (query == std::string_view::npos) return std::nullopt;
  for (std::size_t at = target.find("sid=", query); at != std::string_view::npos; at = target.find("sid=", at + 1)) {
    const char before = target[at - 1];
    if (before != '?' && before != '&') continue;
    if (at + 6 > target.size()) return std::nullopt;
    const int high = hex_digit(target[at + 4]);
    const int low = hex_digit(target[at + 5]);
    if (high < 0 || low < 0) return std::nullopt;
    return static_cast<std::size_t>(high * 16 + low);
  }
  return std::nullopt;
}

}  // namespace parkchat::gateway
