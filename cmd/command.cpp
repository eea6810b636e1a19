// What every subcommand shares: settings resolution with logging, and run-time failures.

#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "cmd/command.hpp"
#include "core/client/identity.hpp"
#include "core/obs/log.hpp"

namespace parkchat::cmd {

int prepare(config::Settings& settings) {
  if (auto resolved = settings.resolve(); !resolved) {
    std::cerr << "parkchat: " << resolved.error().message << "\n";
    return 2;
  }
  spdlog::level::level_enum level = spdlog::level::info;
  obs::LogFormat format = obs::LogFormat::text;
  obs::parse_log_level(settings.value_or(config::Key::log_level, "info"), level);
  obs::parse_log_format(settings.value_or(config::Key::log_format, "text"), format);
  obs::setup_logging(level, format);
  return 0;
}

int report_failure(const char* command, const std::string& message) {
  std::cerr << "parkchat " << command << ": " << message << "\n";
  return 1;
}

std::optional<client::ServerUrl> server_url(const char* command, const config::Settings& settings, int& exit_code) {
  auto server = client::parse_server_url(settings.value_or(config::Key::url, "http://127.0.0.1:3003"));
  if (server) return *server;
  std::cerr << "parkchat " << command << ": " << server.error().message << "\n";
  exit_code = 2;
  return std::nullopt;
}

std::optional<std::vector<client::ServerUrl>> server_urls(const char* command, const config::Settings& settings,
                                                          int& exit_code) {
  auto servers = client::parse_server_urls(settings.value_or(config::Key::url, "http://127.0.0.1:3003"));
  if (servers) return *servers;
  std::cerr << "parkchat " << command << ": " << servers.error().message << "\n";
  exit_code = 2;
  return std::nullopt;
}

void add_identity_options(CLI::App& sub, Identity& identity) {
  sub.add_option("--as", identity.as, "act as USER[:NAME], with a token minted from the configured secret");
  sub.add_option("--token", identity.token, "act with this token");
}

std::optional<std::string> identity_token(const char* command, const config::Settings& settings, const Identity& identity,
                                          int& exit_code) {
  auto token = client::resolve_token(settings, identity.as, identity.token);
  if (token) return *token;
  std::cerr << "parkchat " << command << ": " << token.error().message << "\n";
  exit_code = token.error().code == Errc::validation ? 2 : 1;
  return std::nullopt;
}

}  // namespace parkchat::cmd
