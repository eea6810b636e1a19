// parkchat simulate SCENARIO [--clients N] [--duration 30s] [--rate R] [--threads N] [--json FILE]
//                   [--assert 'p99<50ms,lost=0,dup=0']
// Thousands of real Socket.IO clients against a server, with every delivery verified.

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>

#include "cmd/command.hpp"
#include "core/base/file_limit.hpp"
#include "core/config/data_dir.hpp"
#include "core/sim/report.hpp"
#include "core/sim/runner.hpp"

namespace parkchat::cmd {
namespace {

// A scenario by path, or by name from scenarios/ ("smoke" -> scenarios/smoke.json).
std::string scenario_path(const std::string& given) {
  if (given.find('/') != std::string::npos || given.find(".json") != std::string::npos) return given;
  return "scenarios/" + given + ".json";
}

}  // namespace

Run add_simulate(CLI::App& sub) {
  struct Options {
    config::Settings settings;
    std::string scenario;
    std::optional<int> clients;
    std::optional<std::string> duration;
    std::optional<double> rate;
    std::string json_path;
    std::string thresholds;
    int threads = 1;
  };
  auto o = std::make_shared<Options>();
  o->settings.add_to(sub, {config::Key::url, config::Key::jwt_secret, config::Key::data_dir, config::Key::log_level,
                           config::Key::log_format});
  sub.add_option("scenario", o->scenario, "scenario file, or a name from scenarios/ (smoke, chat-10k, group-fanout, booking-burst)")
      ->required();
  sub.add_option("--clients", o->clients, "number of clients (overrides the scenario)")->check(CLI::Range(1, 1'000'000));
  sub.add_option("--duration", o->duration, "how long clients send after ramp-up: 30s, 5m (overrides the scenario)");
  sub.add_option("--rate", o->rate, "messages a second per client (overrides the scenario)")->check(CLI::Range(0.0, 20.0));
  sub.add_option("--json", o->json_path, "write the report as JSON to this file");
  sub.add_option("--threads", o->threads,
                 "client loops (threads), each with whole rooms; the report says when the busiest was saturated")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  sub.add_option("--assert", o->thresholds, "thresholds, e.g. 'p99<50ms,lost=0,dup=0' (exit 1 when one fails)");
  sub.footer(
      "Examples:\n"
      "  parkchat simulate smoke\n"
      "  parkchat simulate chat-10k --duration 1m --json report.json\n"
      "  parkchat simulate scenarios/group-fanout.json --clients 1000 --assert 'p99<50ms,lost=0,dup=0'");
  return [o] {
    if (int code = prepare(o->settings); code != 0) return code;
    int exit_code = 0;
    auto servers = server_urls("simulate", o->settings, exit_code);
    if (!servers) return exit_code;
    const std::string path = scenario_path(o->scenario);
    std::ifstream file(path);
    if (!file) return report_failure("simulate", "cannot read scenario " + path);
    auto json = nlohmann::json::parse(file, nullptr, false);
    if (json.is_discarded()) return report_failure("simulate", path + ": not valid JSON");
    auto scenario = sim::parse_scenario(json);
    if (!scenario) return report_failure("simulate", path + ": " + scenario.error().message);
    if (o->clients) scenario->clients = *o->clients;
    if (o->rate) scenario->rate = *o->rate;
    if (o->duration) {
      auto span = sim::parse_span(*o->duration);
      if (!span) {
        std::cerr << "parkchat simulate: --duration " << *o->duration << ": expected 30s, 5m or the like\n";
        return 2;
      }
      scenario->duration = *span;
    }
    auto thresholds = sim::parse_thresholds(o->thresholds);
    if (!thresholds) {
      std::cerr << "parkchat simulate: " << thresholds.error().message << "\n";
      return 2;
    }
    auto secret = config::jwt_secret(o->settings, config::CreateSecret::no);
    if (!secret) return report_failure("simulate", secret.error().message);
    const long files = raise_open_file_limit();
    if (files > 0 && files < scenario->clients + 64) {
      std::cerr << "parkchat simulate: warning: only " << files << " open files allowed for " << scenario->clients << " clients\n";
    }

    sim::RunOptions run;
    run.scenario = *scenario;
    run.servers = *servers;
    run.jwt_secret = *secret;
    run.threads = o->threads;
    const bool terminal = ::isatty(STDERR_FILENO) != 0;
    run.progress = [terminal](const sim::Progress& p) {
      char line[160];
      std::snprintf(line, sizeof line, "%5.0fs  clients %d/%d  sent %.0f/s  delivered %.0f/s  p99 %.1f ms", p.elapsed_seconds,
                    p.connected, p.target, p.sent_per_second, p.delivered_per_second, static_cast<double>(p.delivery_p99_us) / 1000.0);
      std::cerr << (terminal ? "\r\033[K" : "") << line << (terminal ? "" : "\n") << std::flush;
    };
    std::string against;
    for (const auto& server : *servers) against += (against.empty() ? "" : ", ") + server.text();
    std::cerr << "parkchat simulate: " << scenario->name << " against " << against << ": " << scenario->clients
              << " clients in rooms of " << scenario->room_size << "\n";
    auto report = sim::run_simulation(run);
    if (terminal) std::cerr << "\r\033[K";
    if (!report) return report_failure("simulate", report.error().message);
    const sim::Verdict verdict = sim::judge(*report, *thresholds);
    std::cout << sim::summary_table(*report, verdict);
    if (!o->json_path.empty()) {
      std::ofstream out(o->json_path);
      out << sim::to_json(*report, verdict).dump(2) << "\n";
      if (!out) return report_failure("simulate", "cannot write " + o->json_path);
    }
    return verdict.passed ? 0 : 1;
  };
}

}  // namespace parkchat::cmd
