// The whole command line on one screen: every subcommand of CONTRACT §1 and its summary. Used
// by main() and by the generator of completions and man pages, so both describe the same flags.

#include <string>

#include <CLI/CLI.hpp>

#include "cmd/command.hpp"
#include "core/base/version.hpp"

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

std::vector<std::pair<CLI::App*, Run>> build_command_line(CLI::App& app) {
  app.set_version_flag("--version", "parkchat " + std::string(kVersion));
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  parkchat serve                     # embedded NATS and PostgreSQL in ./.parkchat\n"
      "  parkchat migrate status\n"
      "  parkchat <command> --help");
  std::vector<std::pair<CLI::App*, Run>> runs;
  for (const Command& command : kCommands) {
    CLI::App* sub = app.add_subcommand(command.name, command.summary);
    runs.emplace_back(sub, command.add(*sub));
  }
  return runs;
}

}  // namespace parkchat::cmd
