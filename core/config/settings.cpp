#include "core/config/settings.hpp"

#include <cstdlib>
#include <fstream>

#include <CLI/CLI.hpp>

#include "core/obs/log.hpp"

namespace parkchat::config {
namespace {

struct Spec {
  Key key;
  std::string_view flag;
  std::string_view env;
  const char* fallback;  // nullptr: no default
  std::string_view help;
};

// The table of CONTRACT.md §1; the order follows enum Key.
constexpr Spec kSpecs[kKeyCount] = {
    {Key::nats_url, "nats-url", "NATS_URL", nullptr,
     "NATS server URL (default: the embedded nats-server)"},
    {Key::database_url, "database-url", "DATABASE_URL", nullptr,
     "PostgreSQL URL, libpq syntax (default: the embedded PostgreSQL)"},
    {Key::jwt_secret, "jwt-secret", "PARKCHAT_JWT_SECRET", nullptr,
     "HS256 secret for tokens (default: generated once, kept in the data dir)"},
    {Key::listen, "listen", "PARKCHAT_LISTEN", "127.0.0.1:3003", "listen address host:port"},
    {Key::roles, "roles", "PARKCHAT_ROLES", "gateway,api,service,notify",
     "roles to run, comma-separated"},
    {Key::url, "url", "PARKCHAT_URL", "http://127.0.0.1:3003",
     "server URL; send, tail and simulate take several (A,B,…) and fail over from one to the next"},
    {Key::data_dir, "data-dir", "PARKCHAT_DATA_DIR", "./.parkchat",
     "data dir of the embedded NATS and PostgreSQL"},
    {Key::log_level, "log-level", "PARKCHAT_LOG_LEVEL", "info",
     "trace, debug, info, warn, error or off"},
    {Key::log_format, "log-format", "PARKCHAT_LOG_FORMAT", "text", "text or json"},
};

const Spec& spec(Key key) { return kSpecs[static_cast<std::size_t>(key)]; }

std::string normalized(std::string name) {
  for (char& c : name) {
    if (c == '_') c = '-';
  }
  return name;
}

}  // namespace

std::string_view source_name(Source source) {
  switch (source) {
    case Source::flag: return "flag";
    case Source::environment: return "environment";
    case Source::config_file: return "config file";
    case Source::fallback: return "default";
    case Source::unset: return "unset";
  }
  return "unset";
}

std::optional<std::string> process_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string_view flag_name(Key key) { return spec(key).flag; }
std::string_view env_name(Key key) { return spec(key).env; }

Settings::Settings() = default;

void Settings::add_to(CLI::App& app, std::initializer_list<Key> keys) {
  if (config_option_ == nullptr) {
    config_option_ = app.add_option("--config", config_flag_,
                                    "config file (TOML: key = \"value\", keys as the long flags)");
  }
  for (Key key : keys) {
    Slot& slot = slots_[static_cast<std::size_t>(key)];
    const Spec& s = spec(key);
    std::string help(s.help);
    help += " [env " + std::string(s.env) + "]";
    slot.registered = true;
    slot.option = app.add_option("--" + std::string(s.flag), slot.flag_value, help);
  }
}

void Settings::set(Key key, std::string value) {
  Slot& slot = slots_[static_cast<std::size_t>(key)];
  slot.registered = true;
  slot.value = std::move(value);
  slot.source = Source::flag;
}

Result<void> Settings::resolve(const EnvLookup& env) {
  std::optional<std::string> config_path;
  if (config_option_ != nullptr && config_option_->count() > 0) {
    config_path = config_flag_;
  } else if (auto from_env = env("PARKCHAT_CONFIG")) {
    config_path = *from_env;
  }
  if (config_path && !config_path->empty()) {
    if (auto loaded = load_config_file(*config_path); !loaded) return loaded;
  }

  for (const Spec& s : kSpecs) {
    Slot& slot = slots_[static_cast<std::size_t>(s.key)];
    if (!slot.registered || slot.source == Source::flag) continue;
    if (slot.option != nullptr && slot.option->count() > 0) {
      slot.value = slot.flag_value;
      slot.source = Source::flag;
    } else if (auto from_env = env(std::string(s.env)); from_env && !from_env->empty()) {
      slot.value = *from_env;
      slot.source = Source::environment;
    } else if (auto& from_file = from_file_[static_cast<std::size_t>(s.key)]) {
      slot.value = *from_file;
      slot.source = Source::config_file;
    } else if (s.fallback != nullptr) {
      slot.value = std::string(s.fallback);
      slot.source = Source::fallback;
    }
  }
  return validate();
}

Result<void> Settings::load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(Errc::validation, "cannot read config file " + path);
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_config(in);
  } catch (const std::exception& e) {
    return fail(Errc::validation, "config file " + path + ": " + e.what());
  }
  for (const CLI::ConfigItem& item : items) {
    // CLI11 reports section headers as "++" / "--" markers; only top-level keys are settings.
    if (item.name == "++" || item.name == "--") continue;
    const std::string key = normalized(item.fullname());
    const Spec* match = nullptr;
    for (const Spec& s : kSpecs) {
      if (key == s.flag) match = &s;
    }
    if (match == nullptr) {
      return fail(Errc::validation, "config file " + path + ": unknown setting '" + item.fullname() + "'");
    }
    if (item.inputs.size() != 1) {
      return fail(Errc::validation, "config file " + path + ": setting '" + item.fullname() + "' needs one value");
    }
    from_file_[static_cast<std::size_t>(match->key)] = item.inputs.front();
  }
  return {};
}

Result<void> Settings::validate() const {
  auto where = [&](Key key) {
    const Slot& slot = slots_[static_cast<std::size_t>(key)];
    switch (slot.source) {
      case Source::flag: return "--" + std::string(flag_name(key));
      case Source::environment: return std::string(env_name(key));
      case Source::config_file: return "config key " + std::string(flag_name(key));
      default: return std::string(flag_name(key));
    }
  };
  if (const auto& level = value(Key::log_level)) {
    spdlog::level::level_enum parsed;
    if (!obs::parse_log_level(*level, parsed)) {
      return fail(Errc::validation, where(Key::log_level) + "=" + *level +
                                        ": expected trace, debug, info, warn, error or off");
    }
  }
  if (const auto& format = value(Key::log_format)) {
    obs::LogFormat parsed;
    if (!obs::parse_log_format(*format, parsed)) {
      return fail(Errc::validation, where(Key::log_format) + "=" + *format + ": expected text or json");
    }
  }
  return {};
}

const std::optional<std::string>& Settings::value(Key key) const {
  return slots_[static_cast<std::size_t>(key)].value;
}

std::string Settings::value_or(Key key, std::string fallback) const {
  const auto& v = value(key);
  return v ? *v : std::move(fallback);
}

Source Settings::source(Key key) const { return slots_[static_cast<std::size_t>(key)].source; }

}  // namespace parkchat::config
