#include "tests/support/serve_process.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "tests/support/run_parkchat.hpp"

namespace parkchat::testing {

ServeProcess::ServeProcess(std::vector<std::string> args, const std::string& listen) {
  args.insert(args.begin(), "serve");
  args.insert(args.end(), {"--listen", listen});
  if (std::find(args.begin(), args.end(), "--log-level") == args.end()) args.insert(args.end(), {"--log-level", "warn"});
  log_path_ = (dir_.path() / "serve.log").string();
  child_.emplace(start_parkchat(args, log_path_));
  banner_ = read_until(child_->stdout_fd(), "ready", std::chrono::seconds(60));
  const std::string& out = banner_;
  std::smatch match;
  if (!std::regex_search(out, match, std::regex("listening +(http://[0-9.]+:[0-9]+)"))) {
    ADD_FAILURE() << "serve did not start; stdout:\n" << out << "\nlog:\n" << log();
    return;
  }
  url_ = match[1];
}

ServeProcess::~ServeProcess() {
  if (child_) child_->stop(SIGTERM, std::chrono::seconds(10));
}

int ServeProcess::port() const { return url_.empty() ? 0 : std::stoi(url_.substr(url_.rfind(':') + 1)); }

std::string ServeProcess::log() const { return embedded::tail_of_file(log_path_, 40); }

bool ServeProcess::running() { return child_ && !child_->poll().has_value(); }

void ServeProcess::signal(int signal) {
  if (child_) ::kill(child_->pid(), signal);
}

void ServeProcess::kill() {
  if (!child_) return;
  child_->stop(SIGKILL, std::chrono::seconds(5));
  child_.reset();
}

int ServeProcess::stop() {
  if (!child_) return -1;  // killed already
  const int status = child_->stop(SIGTERM, std::chrono::seconds(10));
  child_.reset();
  return status;
}

std::size_t resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return static_cast<std::size_t>(std::strtoull(line.c_str() + 6, nullptr, 10));
  }
  return 0;
}

}  // namespace parkchat::testing
