// Subcommands of CONTRACT §1 that this build does not have yet: each says so and exits 1.

#include <iostream>

#include <CLI/CLI.hpp>

#include "cmd/command.hpp"

namespace parkchat::cmd {
namespace {

Run unbuilt(CLI::App& sub, const char* example) {
  sub.allow_extras();
  sub.footer(std::string("Example:\n  ") + example + "\n\nThis subcommand is not built yet.");
  std::string name = sub.get_name();
  return [name] {
    std::cerr << "parkchat " << name << ": not built yet\n";
    return 1;
  };
}

}  // namespace

Run add_simulate(CLI::App& sub) { return unbuilt(sub, "parkchat simulate scenarios/smoke.yaml --assert 'p99<50ms,lost=0'"); }

}  // namespace parkchat::cmd
