#pragma once
// The roles `parkchat serve` can run (CONTRACT §1 --roles).

#include <set>
#include <string>
#include <string_view>

#include "core/base/error.hpp"

namespace parkchat::daemon {

enum class Role { gateway, api, service, notify };

std::string_view role_name(Role role);
// Parses "gateway,api,service,notify" (any subset, any order); refuses unknown or no roles.
Result<std::set<Role>> parse_roles(std::string_view text);

}  // namespace parkchat::daemon
