#pragma once
// Who an operator command acts as: `--token T` as given, or `--as USER[:NAME]`, a token minted
// with the configured secret (CONTRACT §2; the embedded data dir's secret when none is set).

#include <optional>
#include <string>

#include "core/base/error.hpp"
#include "core/config/settings.hpp"

namespace parkchat::client {

// VALIDATION for a malformed --as or for neither/both given; the secret's error otherwise.
Result<std::string> resolve_token(const config::Settings& settings, const std::optional<std::string>& as,
                                  const std::optional<std::string>& token);

}  // namespace parkchat::client
