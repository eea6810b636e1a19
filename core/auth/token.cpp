#include "core/auth/token.hpp"

#include <jwt.h>

#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>

#include "core/chat/message.hpp"
#include "core/chat/text.hpp"

namespace parkchat::auth {
namespace {

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

Error refused(const std::string& why) { return Error{Errc::unauthorized, why}; }

// The user id: `userId` as an integer (or a string of digits), else a numeric `sub`.
std::optional<std::int64_t> user_of(const nlohmann::json& claims) {
  for (const char* claim : {"userId", "sub"}) {
    auto it = claims.find(claim);
    if (it == claims.end()) continue;
    if (it->is_number_integer() && it->get<std::int64_t>() > 0) return it->get<std::int64_t>();
    if (it->is_string()) {
      const std::string& s = it->get_ref<const std::string&>();
      if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) continue;
      std::int64_t n = std::stoll(s);
      if (n > 0) return n;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view refusal_reason(const Error& refusal) {
  const std::string& why = refusal.message;
  if (why == "no token") return "missing";
  if (why == "invalid token" || why == "token too large") return "invalid";
  if (why == "token alg must be HS256") return "algorithm";
  if (why == "token expired" || why == "token not valid yet") return "expired";
  if (why == "token has no user id") return "no_user";
  if (why.rfind("token ", 0) == 0) return "malformed";
  return "other";
}

Result<Identity> verify_token(std::string_view token, std::string_view secret, Micros now) {
  if (token.empty()) return tl::unexpected(refused("no token"));
  if (token.size() > kMaxTokenBytes) return tl::unexpected(refused("token too large"));
  if (secret.empty()) return tl::unexpected(refused("no secret to verify tokens with"));
  const std::string text(token);
  jwt_t* raw = nullptr;
  // With a key, libjwt verifies the signature with the alg the header names; the alg itself is
  // checked below, so that "none" or another HMAC never passes.
  if (jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                 static_cast<int>(secret.size())) != 0 ||
      raw == nullptr) {
    return tl::unexpected(refused("invalid token"));
  }
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return tl::unexpected(refused("token alg must be HS256"));
  char* grants = jwt_get_grants_json(jwt.get(), nullptr);
  if (grants == nullptr) return tl::unexpected(refused("token has no claims"));
  nlohmann::json claims = nlohmann::json::parse(grants, nullptr, false);
  free(grants);  // libjwt 1.10 hands out malloc()ed strings
  if (!claims.is_object()) return tl::unexpected(refused("token claims are not an object"));

  const std::int64_t now_seconds = now / 1000000;
  if (auto exp = claims.find("exp"); exp != claims.end()) {
    if (!exp->is_number()) return tl::unexpected(refused("token exp is not a number"));
    if (exp->get<double>() + static_cast<double>(kExpiryLeeway.count()) < static_cast<double>(now_seconds)) {
      return tl::unexpected(refused("token expired"));
    }
  }
  if (auto nbf = claims.find("nbf"); nbf != claims.end() && nbf->is_number() &&
                                     nbf->get<double>() - static_cast<double>(kExpiryLeeway.count()) > static_cast<double>(now_seconds)) {
    return tl::unexpected(refused("token not valid yet"));
  }
  const auto role = claims.find("role");
  const bool service = role != claims.end() && role->is_string() && role->get<std::string>() == "service";
  auto user = user_of(claims);
  if (!user && !service) return tl::unexpected(refused("token has no user id"));
  Identity identity{user.value_or(0), "", service};
  // The platform's name for the user: cleaned, not refused (chat/text.hpp).
  if (auto name = claims.find("name"); name != claims.end() && name->is_string()) {
    identity.name = chat::clean_name(name->get<std::string>(), chat::kMaxNameChars);
  }
  return identity;
}

Result<std::string> mint_token(const Identity& identity, std::string_view secret, std::optional<std::chrono::seconds> ttl,
                               Micros now) {
  if (secret.empty()) return fail(Errc::validation, "no JWT secret");
  if (identity.user_id <= 0 && !(identity.service && identity.user_id == 0)) {
    return fail(Errc::validation, "user id must be a positive integer");
  }
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return fail(Errc::internal, "jwt_new failed");
  JwtPtr jwt(raw);
  const std::int64_t now_seconds = now / 1000000;
  bool ok = jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                        static_cast<int>(secret.size())) == 0 &&
            (identity.user_id == 0 || jwt_add_grant_int(jwt.get(), "userId", identity.user_id) == 0) &&
            (!identity.service || jwt_add_grant(jwt.get(), "role", "service") == 0) &&
            jwt_add_grant_int(jwt.get(), "iat", now_seconds) == 0 &&
            (identity.name.empty() || jwt_add_grant(jwt.get(), "name", identity.name.c_str()) == 0) &&
            (!ttl || jwt_add_grant_int(jwt.get(), "exp", now_seconds + ttl->count()) == 0);
  if (!ok) return fail(Errc::internal, "cannot build the token");
  char* encoded = jwt_encode_str(jwt.get());
  if (encoded == nullptr) return fail(Errc::internal, "cannot sign the token");
  std::string token(encoded);
  free(encoded);
  return token;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t unit = 1;
  switch (text.back()) {
    case 's': unit = 1; text.remove_suffix(1); break;
    case 'm': unit = 60; text.remove_suffix(1); break;
    case 'h': unit = 3600; text.remove_suffix(1); break;
    case 'd': unit = 86400; text.remove_suffix(1); break;
    default: break;
  }
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  std::int64_t n = std::stoll(std::string(text));
  if (n <= 0) return std::nullopt;
  return std::chrono::seconds(n * unit);
}

}  // namespace parkchat::auth
