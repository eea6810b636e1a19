// What every subcommand shares: settings resolution with logging, and run-time failures.

#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "cmd/command.hpp"
#include "core/obs/log.hpp"

namespace parkchat::cmd {

int prepare(config::Settings& settings) {
  if (auto resolved = settings.resolve(); !resolved) {
    std::cerr << "parkchat: " << resolved.error().message << "\n";
    return 2;
  }
  spdlog::level::level_enum level = spdlog::level::info;
  obs::LogFormat format = obs::LogFormat::text;
  obs::parse_log_level(settings.value_or(config::Key::log_level, "info"), level);
  obs::parse_log_format(settings.value_or(config::Key::log_format, "text"), format);
  obs::setup_logging(level, format);
  return 0;
}

int report_failure(const char* command, const std::string& message) {
  std::cerr << "parkchat " << command << ": " << message << "\n";
  return 1;
}

}  // namespace parkchat::cmd
