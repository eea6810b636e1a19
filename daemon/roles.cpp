#include "daemon/roles.hpp"

namespace parkchat::daemon {

std::string_view role_name(Role role) {
  switch (role) {
    case Role::gateway: return "gateway";
    case Role::api: return "api";
    case Role::service: return "service";
    case Role::notify: return "notify";
  }
  return "?";
}

Result<std::set<Role>> parse_roles(std::string_view text) {
  std::set<Role> roles;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    bool known = false;
    for (Role role : {Role::gateway, Role::api, Role::service, Role::notify}) {
      if (item == role_name(role)) {
        roles.insert(role);
        known = true;
      }
    }
    if (!known) {
      return fail(Errc::validation, "unknown role '" + std::string(item) + "': expected gateway, api, service or notify");
    }
  }
  if (roles.empty()) return fail(Errc::validation, "no roles given: expected some of gateway, api, service, notify");
  return roles;
}

}  // namespace parkchat::daemon
