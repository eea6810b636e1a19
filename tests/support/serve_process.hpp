#pragma once
// A `parkchat serve` in the background, as an operator would run it, stopped with SIGTERM.

#include <optional>
#include <string>
#include <vector>

#include "core/embedded/child_process.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {

class ServeProcess {
 public:
  // `args` after "serve"; listens on `listen` (a port of its own choosing by default; for a fixed
  // one, a ReservedPort's address) and logs warnings only, unless `args` set --log-level.
  explicit ServeProcess(std::vector<std::string> args, const std::string& listen = "127.0.0.1:0");
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // http://127.0.0.1:PORT, or empty when it did not start (the test has failed then).
  const std::string& url() const { return url_; }
  int port() const;
  std::string log() const;
  // What serve printed on stdout up to "ready": the banner.
  const std::string& banner() const { return banner_; }
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  // False once the process has ended (crashed, or stopped).
  bool running();
  // Stops with SIGTERM; the exit code.
  int stop();
  // kill -9: no shutdown at all, as a crash or an OOM kill.
  void kill();
  // Sends `signal` (SIGSTOP, SIGCONT) and leaves the process be.
  void signal(int signal);

 private:
  ScratchDir dir_;
  std::string log_path_;
  std::optional<embedded::ChildProcess> child_;
  std::string url_;
  std::string banner_;
};

// The resident memory of process `pid` in KiB (VmRSS), 0 when it cannot be read.
std::size_t resident_kib(pid_t pid);

}  // namespace parkchat::testing
