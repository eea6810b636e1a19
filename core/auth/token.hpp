#pragma once
// Identity tokens of CONTRACT §2: HS256 JWTs through libjwt. Claims: userId (integer; a numeric
// `sub` is accepted instead), name, exp (60 s leeway). Every other alg, a bad signature, a
// missing user id or an expired token is refused as UNAUTHORIZED. Pure apart from libjwt.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/clock.hpp"
#include "core/base/error.hpp"

namespace parkchat::auth {

struct Identity {
  std::int64_t user_id = 0;  // 0 for a service token without one
  std::string name;
  // `"role":"service"`: another system of the platform (bookings), not a chat user. Such a
  // token needs no user id, and its bearer is no member of any room.
  bool service = false;
};

constexpr std::chrono::seconds kExpiryLeeway{60};
// Longer tokens are refused before any parsing: no header or query carries more legitimately.
constexpr std::size_t kMaxTokenBytes = 8192;

Result<Identity> verify_token(std::string_view token, std::string_view secret, Micros now = now_micros());

// A token for `identity`, expiring after `ttl` (never, without one).
Result<std::string> mint_token(const Identity& identity, std::string_view secret,
                               std::optional<std::chrono::seconds> ttl, Micros now = now_micros());

// Why verify_token refused a token, for metrics: "missing", "invalid" (not a JWT, or a bad
// signature), "algorithm", "malformed" (claims), "expired", "no_user", or "other".
std::string_view refusal_reason(const Error& refusal);
inline constexpr const char* kRefusalReasons[] = {"missing", "invalid", "algorithm", "malformed",
                                                  "expired", "no_user", "other"};

// Parses "90s", "30m", "24h", "7d" (or plain seconds); nullopt otherwise.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

}  // namespace parkchat::auth
