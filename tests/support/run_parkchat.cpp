#include "tests/support/run_parkchat.hpp"

#include <poll.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

std::vector<std::string> clean_env(const std::vector<std::string>& changes) {
  std::vector<std::string> env = {"NATS_URL",           "DATABASE_URL",      "PARKCHAT_JWT_SECRET", "PARKCHAT_LISTEN",
                                  "PARKCHAT_ROLES",     "PARKCHAT_URL",      "PARKCHAT_DATA_DIR",   "PARKCHAT_CONFIG",
                                  "PARKCHAT_LOG_LEVEL", "PARKCHAT_LOG_FORMAT"};
  env.insert(env.end(), changes.begin(), changes.end());
  return env;
}

embedded::SpawnOptions options_for(const std::vector<std::string>& args, const std::string& stderr_path,
                                   const std::vector<std::string>& env_changes) {
  embedded::SpawnOptions options;
  options.argv = {PARKCHAT_BIN};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.capture_stdout = true;
  options.output_path = stderr_path;
  options.env_changes = clean_env(env_changes);
  return options;
}

// Reads what is available within the deadline; false at end of file or timeout.
bool read_some(int fd, std::string& into, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char buffer[4096];
  ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n <= 0) return false;
  into.append(buffer, static_cast<std::size_t>(n));
  return true;
}

}  // namespace

CommandResult run_parkchat(const std::vector<std::string>& args, const std::vector<std::string>& env_changes,
                           std::chrono::seconds timeout) {
  ScratchDir scratch;
  const std::string stderr_path = (scratch.path() / "stderr").string();
  CommandResult result;
  auto started = std::chrono::steady_clock::now();
  auto child = embedded::ChildProcess::spawn(options_for(args, stderr_path, env_changes));
  if (!child) {
    ADD_FAILURE() << child.error().message;
    return result;
  }
  auto deadline = started + timeout;
  while (read_some(child->stdout_fd(), result.out, deadline)) {
  }
  auto status = child->wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
  if (!status) {
    ADD_FAILURE() << "parkchat did not finish within " << timeout.count() << " s";
    status = child->stop(SIGKILL, std::chrono::seconds(5));
  }
  result.exit_code = *status;
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  std::ifstream err(stderr_path);
  std::stringstream text;
  text << err.rdbuf();
  result.err = text.str();
  return result;
}

embedded::ChildProcess start_parkchat(const std::vector<std::string>& args, const std::string& stderr_path,
                                      const std::vector<std::string>& env_changes) {
  auto child = embedded::ChildProcess::spawn(options_for(args, stderr_path, env_changes));
  if (!child) {
    ADD_FAILURE() << child.error().message;
    std::abort();
  }
  return std::move(*child);
}

std::string read_until(int fd, const std::string& needle, std::chrono::milliseconds timeout) {
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (text.find(needle) == std::string::npos) {
    if (!read_some(fd, text, deadline)) return {};
  }
  return text;
}

}  // namespace parkchat::testing
