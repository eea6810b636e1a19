#pragma once
// What every subcommand file provides: `add_<name>` declares the subcommand's options on `sub`
// and returns what to run once the command line is parsed.

#include <functional>
#include <utility>
#include <vector>

#include "core/config/settings.hpp"

namespace CLI {
class App;
}

namespace parkchat::cmd {

using Run = std::function<int()>;

struct Command {
  const char* name;
  const char* summary;
  Run (*add)(CLI::App& sub);
};

inline constexpr const char* kSummary = "parkchat: a Socket.IO-compatible chat server and its operator toolkit";

// Declares every subcommand on `app`; what to run for each, once parsed.
std::vector<std::pair<CLI::App*, Run>> build_command_line(CLI::App& app);

Run add_serve(CLI::App& sub);
Run add_migrate(CLI::App& sub);
Run add_send(CLI::App& sub);
Run add_tail(CLI::App& sub);
Run add_stats(CLI::App& sub);
Run add_simulate(CLI::App& sub);
Run add_token(CLI::App& sub);

// Resolves settings (flag > environment > config file > default) and installs logging.
// Returns 0, or 2 after printing a usage error.
int prepare(config::Settings& settings);

// Exit code for a failure at run time: prints "parkchat <command>: <message>" and returns 1.
int report_failure(const char* command, const std::string& message);

}  // namespace parkchat::cmd
