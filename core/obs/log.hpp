#pragma once
// Logging: one named spdlog logger per domain (gateway, api, service, bus, store, sim, embedded,
// cli), all writing to stderr in text or JSON lines. Command output goes to stdout, never here.

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace parkchat::obs {

enum class LogFormat { text, json };

// Parses "text" or "json"; false for anything else.
bool parse_log_format(std::string_view text, LogFormat& out);
// Parses trace, debug, info, warn, error, critical, off; false for anything else.
bool parse_log_level(std::string_view text, spdlog::level::level_enum& out);

// Installs the stderr sink with the given level and format for every domain logger.
// Call once, from main, before any other thread starts.
void setup_logging(spdlog::level::level_enum level, LogFormat format);

// The logger of a domain; created on first use with the installed sink.
std::shared_ptr<spdlog::logger> logger(const std::string& domain);

}  // namespace parkchat::obs
