// parkchat stats [--watch] [--json]: what a running server reports on GET /stats.

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cmd/command.hpp"
#include "core/base/redact.hpp"
#include "core/client/http_client.hpp"

namespace parkchat::cmd {
namespace {

std::atomic<bool> g_interrupted{false};

std::string duration(std::int64_t seconds) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%lldh%02lldm%02llds", static_cast<long long>(seconds / 3600),
                static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  return buffer;
}

std::uint64_t number_at(const nlohmann::json& stats, const char* section, const char* field) {
  if (!stats.contains(section) || !stats[section].is_object()) return 0;
  return stats[section].value(field, std::uint64_t{0});
}

// One screen of figures; rates come from the previous sample, when there is one.
void print(const client::ServerUrl& server, const nlohmann::json& stats, const nlohmann::json* previous, double seconds) {
  auto rate = [&](const char* section, const char* field) -> std::string {
    if (previous == nullptr || seconds <= 0) return "";
    const double delta = static_cast<double>(number_at(stats, section, field)) -
                         static_cast<double>(number_at(*previous, section, field));
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "  (%.0f/s)", delta / seconds);
    return buffer;
  };
  std::cout << "parkchat " << stats.value("version", "?") << " at " << server.text() << "  pid "
            << stats.value("pid", 0) << ", up " << duration(stats.value("uptimeSeconds", std::int64_t{0})) << "\n";
  std::cout << "  roles        " << stats.value("roles", "") << "\n";
  if (stats.contains("nats")) {
    std::cout << "  NATS         " << (stats["nats"].value("connected", false) ? "connected " : "DISCONNECTED ")
              << redact_credentials(stats["nats"].value("url", "")) << "\n";
  }
  if (stats.contains("gateway")) {
    std::cout << "  connections  " << number_at(stats, "gateway", "connections") << "  users online "
              << number_at(stats, "gateway", "usersOnline") << "  rooms " << number_at(stats, "gateway", "rooms") << "\n"
              << "  sent         " << number_at(stats, "gateway", "messagesSent") << rate("gateway", "messagesSent")
              << "  delivered " << number_at(stats, "gateway", "deliveries") << rate("gateway", "deliveries") << "\n";
  }
  if (stats.contains("service")) {
    std::cout << "  requests     " << number_at(stats, "service", "requestsHandled") << rate("service", "requestsHandled")
              << "\n";
  }
  if (stats.contains("persister")) {
    std::cout << "  stored       " << number_at(stats, "persister", "stored") << rate("persister", "stored")
              << "  rejected " << number_at(stats, "persister", "rejected") << "\n";
  }
  if (stats.contains("notify")) {
    std::cout << "  pushed       " << number_at(stats, "notify", "pushed") << rate("notify", "pushed") << "\n";
  }
  if (stats.contains("database") && stats["database"].is_object()) {
    std::cout << "  rows         ";
    for (const auto& [table, count] : stats["database"].items()) std::cout << table << " " << count << "  ";
    std::cout << "\n";
  }
  if (stats.contains("streams") && stats["streams"].is_array()) {
    for (const auto& stream : stats["streams"]) {
      std::cout << "  stream       " << stream.value("name", "?") << ": " << stream.value("messages", 0) << " messages, "
                << stream.value("bytes", 0) << " bytes";
      if (stream.value("replicas", 1) > 1) {
        std::cout << ", " << stream.value("replicas", 1) << " replicas led by " << stream.value("leader", "?");
        for (const auto& peer : stream.value("peers", nlohmann::json::array())) {
          std::cout << (peer.value("offline", false) ? " (" + peer.value("name", "?") + " offline)"
                        : !peer.value("current", false) ? " (" + peer.value("name", "?") + " behind)" : "");
        }
      }
      const nlohmann::json consumers = stream.value("consumers", nlohmann::json::object());
      for (const auto& [name, consumer] : consumers.items()) {
        std::cout << "; " << name << " pending " << consumer.value("pending", 0) << " (unacked "
                  << consumer.value("ackPending", 0) << ")";
      }
      std::cout << "\n";
    }
  }
  if (stats.contains("serviceError")) std::cout << "  service      " << stats.value("serviceError", "") << "\n";
  std::cout.flush();
}

}  // namespace

Run add_stats(CLI::App& sub) {
  struct Options {
    config::Settings settings;
    bool watch = false;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  o->settings.add_to(sub, {config::Key::url, config::Key::log_level, config::Key::log_format});
  sub.add_flag("--watch", o->watch, "redraw every second, like top, until Ctrl-C");
  sub.add_flag("--json", o->json, "print the server's JSON and nothing else");
  sub.footer(
      "Examples:\n"
      "  parkchat stats\n"
      "  parkchat stats --watch --url http://10.0.0.7:3003\n"
      "  parkchat stats --json | jq .persister");
  return [o] {
    if (int code = prepare(o->settings); code != 0) return code;
    int exit_code = 0;
    auto server = server_url("stats", o->settings, exit_code);
    if (!server) return exit_code;
    signal(SIGINT, [](int) { g_interrupted = true; });
    nlohmann::json previous;
    auto previous_at = std::chrono::steady_clock::now();
    for (bool first = true;; first = false) {
      auto reply = client::http_call(*server, "GET", "/stats");
      if (!reply) return report_failure("stats", reply.error().message);
      if (reply->status != 200) {
        return report_failure("stats", server->text() + "/stats answered HTTP " + std::to_string(reply->status));
      }
      auto stats = nlohmann::json::parse(reply->body, nullptr, false);
      if (!stats.is_object()) return report_failure("stats", server->text() + "/stats did not answer JSON");
      const auto now = std::chrono::steady_clock::now();
      if (o->json) {
        std::cout << stats.dump() << std::endl;
      } else {
        if (o->watch && isatty(STDOUT_FILENO)) std::cout << "\x1b[H\x1b[2J";
        print(*server, stats, first ? nullptr : &previous, std::chrono::duration<double>(now - previous_at).count());
      }
      if (!o->watch) return 0;
      previous = std::move(stats);
      previous_at = now;
      for (int i = 0; i < 10 && !g_interrupted; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (g_interrupted) return 0;
    }
  };
}

}  // namespace parkchat::cmd
