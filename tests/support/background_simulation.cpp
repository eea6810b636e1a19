#include "tests/support/background_simulation.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/http_client.hpp"
#include "tests/support/run_parkchat.hpp"

namespace parkchat::testing {

BackgroundSimulation::BackgroundSimulation(const nlohmann::json& scenario, const std::vector<std::string>& urls,
                                           const std::string& jwt_secret) {
  std::ofstream((dir_.path() / "scenario.json").string()) << scenario.dump();
  std::string url_list;
  for (const auto& url : urls) url_list += (url_list.empty() ? "" : ",") + url;
  child_.emplace(start_parkchat({"simulate", (dir_.path() / "scenario.json").string(), "--url", url_list, "--jwt-secret",
                                 jwt_secret, "--json", (dir_.path() / "report.json").string()},
                                (dir_.path() / "simulate.log").string()));
}

BackgroundSimulation::~BackgroundSimulation() {
  if (child_) child_->stop(SIGKILL, std::chrono::seconds(5));
}

nlohmann::json BackgroundSimulation::finish(std::chrono::seconds timeout) {
  // The summary table is small, but read it as it comes so that simulate never blocks on the pipe.
  const int fd = child_->stdout_fd();
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<int> status;
  while (!(status = child_->wait_for(std::chrono::milliseconds(200))) && std::chrono::steady_clock::now() < deadline) {
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) stdout_text_.append(buffer, static_cast<std::size_t>(n));
  }
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) stdout_text_.append(buffer, static_cast<std::size_t>(n));
  if (!status) {
    ADD_FAILURE() << "simulate did not finish within " << timeout.count() << " s\n" << output();
    return nullptr;
  }
  child_.reset();
  std::ifstream file((dir_.path() / "report.json").string());
  auto report = nlohmann::json::parse(file, nullptr, false);
  if (report.is_discarded()) {
    ADD_FAILURE() << "simulate wrote no report (exit " << *status << ")\n" << output();
    return nullptr;
  }
  return report;
}

std::string BackgroundSimulation::output() const {
  return embedded::tail_of_file((dir_.path() / "simulate.log").string(), 40) + "\n" + stdout_text_;
}

void expect_nothing_lost(const std::string& fault, const nlohmann::json& report, const std::string& context) {
  ASSERT_TRUE(report.is_object()) << context;
  const auto& m = report["messages"];
  // An acknowledged send's wait: from the send that was acknowledged (a refusal is an answer,
  // and the client sends again); and from the message's first send, resends included.
  const double longest_ack_ms = report["latency_ms"]["ackedAttempt"].value("max", 0.0);
  const double longest_message_ms = report["latency_ms"]["ack"].value("max", 0.0);
  // The suite's table row: what the fault cost.
  std::cout << "[fault] " << fault << ": acked " << m.value("acked", 0) << ", lost " << m.value("lost", 0)
            << ", duplicated " << m.value("duplicated", 0) << ", missing from history " << m.value("missingInHistory", 0)
            << ", longest ack " << static_cast<long>(longest_ack_ms) << " ms (" << static_cast<long>(longest_message_ms)
            << " ms from the first send); caught up " << m.value("caughtUpFromHistory", 0)
            << ", resent " << m.value("resent", 0) << "; forgiving count lost " << m["forgiving"].value("lost", 0)
            << std::endl;
  EXPECT_GT(m.value("acked", 0), 0) << context;
  EXPECT_EQ(m.value("lost", -1), 0) << context;
  EXPECT_EQ(m.value("duplicated", -1), 0) << context;
  EXPECT_EQ(m.value("missingInHistory", -1), 0) << context;
  EXPECT_EQ(m.value("neverAcked", -1), 0) << context;
  EXPECT_LE(longest_ack_ms, 10'000.0) << context;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

double metric_sum(int port, const std::string& name) {
  const HttpResult scraped = http_request(port, "GET", "/metrics");
  if (scraped.status != 200) return 0;
  std::istringstream lines(scraped.body);
  double sum = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name, 0) != 0) continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != ' ' && next != '{') continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

void wait_for_sends(ServeProcess& gateway, double sends) {
  ASSERT_TRUE(wait_until([&] { return metric_sum(gateway.port(), "parkchat_messages_sent_total") >= sends; },
                         std::chrono::seconds(60)))
      << "fewer than " << sends << " sends through " << gateway.url() << " in 60 s\n" << gateway.log();
}

}  // namespace parkchat::testing
