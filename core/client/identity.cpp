#include "core/client/identity.hpp"

#include <chrono>

#include "core/auth/token.hpp"
#include "core/config/data_dir.hpp"

namespace parkchat::client {

Result<std::string> resolve_token(const config::Settings& settings, const std::optional<std::string>& as,
                                  const std::optional<std::string>& token) {
  if (as && token) return fail(Errc::validation, "give --as or --token, not both");
  if (token) return *token;
  if (!as) return fail(Errc::validation, "say who you are: --as USER[:NAME] or --token TOKEN");
  const auto colon = as->find(':');
  const std::string id = as->substr(0, colon);
  if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos || std::stoll(id) <= 0) {
    return fail(Errc::validation, "--as '" + *as + "': expected USER[:NAME] with USER a positive number");
  }
  const std::string name = colon == std::string::npos ? "user " + id : as->substr(colon + 1);
  auto secret = config::jwt_secret(settings, config::CreateSecret::no);
  if (!secret) return tl::unexpected(secret.error());
  return auth::mint_token({std::stoll(id), name}, *secret, std::chrono::hours(24));
}

}  // namespace parkchat::client
