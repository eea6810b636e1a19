// parkchat: the chat server and its operator toolkit. The whole command line on one screen.

#include <signal.h>

#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "cmd/command.hpp"
#include "core/base/version.hpp"
#include "core/obs/log.hpp"

namespace parkchat::cmd {
namespace {

constexpr Command kCommands[] = {
    {"serve", "run the gateway, REST API, chat service and notifications", &add_serve},
    {"migrate", "manage the PostgreSQL schema (migrations/)", &add_migrate},
    {"send", "send a message to a room", &add_send},
    {"tail", "print the messages of a room, and follow new ones", &add_tail},
    {"stats", "show the statistics of a running server", &add_stats},
    {"simulate", "drive many clients from a scenario and verify delivery", &add_simulate},
    {"token", "mint a JWT for a user", &add_token},
};

}  // namespace

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

}  // namespace parkchat::cmd

int main(int argc, char** argv) {
  using namespace parkchat;
  // Writes to a closed socket must fail with EPIPE, not kill the process.
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{"parkchat: a Socket.IO-compatible chat server and its operator toolkit"};
  app.set_version_flag("--version", "parkchat " + std::string(kVersion));
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  parkchat serve                     # embedded NATS and PostgreSQL in ./.parkchat\n"
      "  parkchat migrate status\n"
      "  parkchat <command> --help");

  std::vector<std::pair<CLI::App*, cmd::Run>> runs;
  for (const cmd::Command& command : cmd::kCommands) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    runs.emplace_back(sub, command.add(*sub));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;  // usage errors exit 2 (CONTRACT §1)
  }
  for (auto& [sub, run] : runs) {
    if (sub->parsed()) return run();
  }
  return 2;
}
