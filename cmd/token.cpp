// parkchat token --user ID [--name NAME] [--ttl 24h] | --service: mint a JWT with the configured secret.

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "cmd/command.hpp"
#include "core/auth/token.hpp"
#include "core/config/data_dir.hpp"

namespace parkchat::cmd {

Run add_token(CLI::App& sub) {
  struct Options {
    config::Settings settings;
    std::int64_t user = 0;
    std::string name;
    std::string ttl = "24h";
    bool service = false;
  };
  auto o = std::make_shared<Options>();
  o->settings.add_to(sub, {config::Key::jwt_secret, config::Key::data_dir, config::Key::log_level, config::Key::log_format});
  auto* user = sub.add_option("--user", o->user, "user id (a positive integer)");
  auto* service = sub.add_flag("--service", o->service,
                               "a token of another system of the platform (\"role\":\"service\", no user): it may create "
                               "BOOKING rooms and is no member of any room");
  user->excludes(service);
  sub.add_option("--name", o->name, "display name (the token's name claim)");
  sub.add_option("--ttl", o->ttl, "lifetime: 90s, 30m, 24h, 7d, or 0 for none")->capture_default_str();
  sub.footer(
      "Examples:\n"
      "  parkchat token --user 4 --name Kim            # secret from ./.parkchat/jwt-secret\n"
      "  TOKEN=$(parkchat token --user 5 --ttl 1h --jwt-secret \"$SECRET\")\n"
      "  parkchat token --service --ttl 1h                # for the booking system");
  return [o] {
    if (int code = prepare(o->settings); code != 0) return code;
    std::optional<std::chrono::seconds> ttl;
    if (o->ttl != "0") {
      ttl = auth::parse_duration(o->ttl);
      if (!ttl) {
        std::cerr << "parkchat token: --ttl " << o->ttl << ": expected a duration such as 90s, 30m, 24h or 7d\n";
        return 2;
      }
    }
    if (!o->service && o->user <= 0) {
      std::cerr << "parkchat token: --user must be a positive integer (or --service for a service token)\n";
      return 2;
    }
    auto secret = config::jwt_secret(o->settings, config::CreateSecret::no);
    if (!secret) return report_failure("token", secret.error().message);
    auto token = auth::mint_token({o->user, o->name, o->service}, *secret, ttl);
    if (!token) return report_failure("token", token.error().message);
    std::cout << *token << "\n";
    return 0;
  };
}

}  // namespace parkchat::cmd
