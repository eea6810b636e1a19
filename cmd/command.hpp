#pragma once
// What every subcommand file provides: `add_<name>` declares the subcommand's options on `sub`
// and returns what to run once the command line is parsed.

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/client/http_client.hpp"
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

// The server the client commands talk to (--url). Malformed: says so and sets `exit_code` to 2.
std::optional<client::ServerUrl> server_url(const char* command, const config::Settings& settings, int& exit_code);
// --url A,B,…: the gateways of one deployment, for the commands that spread over them and fail
// over from one to the next (send, tail, simulate).
std::optional<std::vector<client::ServerUrl>> server_urls(const char* command, const config::Settings& settings,
                                                          int& exit_code);

// --as USER[:NAME] and --token T, for the commands that act as a user.
struct Identity {
  std::optional<std::string> as;
  std::optional<std::string> token;
};
void add_identity_options(CLI::App& sub, Identity& identity);
// The token to act with; otherwise says why and sets `exit_code` (2 for a usage error, else 1).
std::optional<std::string> identity_token(const char* command, const config::Settings& settings, const Identity& identity,
                                          int& exit_code);

}  // namespace parkchat::cmd
