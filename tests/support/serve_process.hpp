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
  // `args` after "serve"; listens on `listen` (a free port by default) and logs warnings only.
  explicit ServeProcess(std::vector<std::string> args, const std::string& listen = "127.0.0.1:0");
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // http://127.0.0.1:PORT, or empty when it did not start (the test has failed then).
  const std::string& url() const { return url_; }
  int port() const;
  std::string log() const;
  // Stops with SIGTERM; the exit code.
  int stop();

 private:
  ScratchDir dir_;
  std::string log_path_;
  std::optional<embedded::ChildProcess> child_;
  std::string url_;
};

// A loopback port free at the time of asking.
int free_port();

}  // namespace parkchat::testing
