#pragma once
// Runs the parkchat binary under test, as a user would from a shell.

#include <chrono>
#include <string>
#include <vector>

#include "core/embedded/child_process.hpp"

namespace parkchat::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
  std::chrono::milliseconds elapsed{0};
};

// Runs `parkchat args...` to completion (killed after `timeout`). `env_changes` as in
// SpawnOptions: "NAME=value" or "NAME" to remove. PARKCHAT_* and the URLs are removed unless set.
CommandResult run_parkchat(const std::vector<std::string>& args, const std::vector<std::string>& env_changes = {},
                           std::chrono::seconds timeout = std::chrono::seconds(60));

// Starts `parkchat args...` in the background with stdout on a pipe; stderr goes to `stderr_path`.
embedded::ChildProcess start_parkchat(const std::vector<std::string>& args, const std::string& stderr_path,
                                      const std::vector<std::string>& env_changes = {});

// Reads lines from `fd` until one contains `needle`; returns everything read (empty on timeout
// or end of file without it).
std::string read_until(int fd, const std::string& needle, std::chrono::milliseconds timeout);

}  // namespace parkchat::testing
