#pragma once
// The settings of CONTRACT.md §1, resolved in one place for every subcommand:
// flag, then environment, then config file, then default.

#include <array>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/error.hpp"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace parkchat::config {

enum class Key {
  nats_url,
  database_url,
  jwt_secret,
  listen,
  roles,
  url,
  data_dir,
  log_level,
  log_format,
};
constexpr std::size_t kKeyCount = 9;

enum class Source { flag, environment, config_file, fallback, unset };
std::string_view source_name(Source source);

// Looks up an environment variable; the process environment unless a test gives another.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> process_env(const std::string& name);

class Settings {
 public:
  Settings();

  // Registers --config and the flag of each key on app. Call before app.parse().
  void add_to(CLI::App& app, std::initializer_list<Key> keys);

  // Fills each registered key not given as a flag from the environment, then from the config
  // file, then from its default. Fails (a usage error) on an unreadable config file, an unknown
  // key in it, or an invalid log level or format, naming where the bad value came from.
  Result<void> resolve(const EnvLookup& env = process_env);

  // The resolved value; nullopt when no source set it and it has no default (the embedded
  // NATS and PostgreSQL, a generated JWT secret).
  const std::optional<std::string>& value(Key key) const;
  std::string value_or(Key key, std::string fallback) const;
  Source source(Key key) const;

  // Sets a value as if given on the command line; for callers that build settings in code.
  void set(Key key, std::string value);

 private:
  struct Slot {
    bool registered = false;
    std::string flag_value;
    CLI::Option* option = nullptr;
    std::optional<std::string> value;
    Source source = Source::unset;
  };
  Result<void> load_config_file(const std::string& path);
  Result<void> validate() const;

  std::array<Slot, kKeyCount> slots_;
  std::string config_flag_;
  CLI::Option* config_option_ = nullptr;
  std::array<std::optional<std::string>, kKeyCount> from_file_;
};

// The flag name (without dashes) and environment variable of a key, as in CONTRACT.md §1.
std::string_view flag_name(Key key);
std::string_view env_name(Key key);

}  // namespace parkchat::config
