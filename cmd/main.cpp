// parkchat: the chat server and its operator toolkit. The commands are in command_line.cpp.

#include <signal.h>

#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "cmd/command.hpp"

int main(int argc, char** argv) {
  using namespace parkchat;
  // Writes to a closed socket must fail with EPIPE, not kill the process.
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{cmd::kSummary};
  auto runs = cmd::build_command_line(app);

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
