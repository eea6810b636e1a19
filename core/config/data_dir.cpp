#include "core/config/data_dir.hpp"

#include <signal.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/base/private_file.hpp"
#include "core/base/random.hpp"

namespace parkchat::config {
namespace fs = std::filesystem;
namespace {

fs::path data_dir_of(const Settings& settings) { return settings.value_or(Key::data_dir, "./.parkchat"); }

}  // namespace

fs::path serve_state_path(const fs::path& data_dir) { return data_dir / "serve.json"; }

Result<void> write_running_serve(const fs::path& data_dir, const RunningServe& state) {
  nlohmann::json j = {{"pid", state.pid},
                      {"natsUrl", state.nats_url},
                      {"databaseUrl", state.database_url},
                      {"natsPid", state.nats_pid},
                      {"postgresPid", state.postgres_pid}};
  return write_private_file(serve_state_path(data_dir), j.dump(2) + "\n");
}

std::optional<RunningServe> read_running_serve(const fs::path& data_dir) {
  std::ifstream in(serve_state_path(data_dir));
  if (!in) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  RunningServe state;
  state.pid = j.value("pid", 0);
  state.nats_url = j.value("natsUrl", "");
  state.database_url = j.value("databaseUrl", "");
  state.nats_pid = j.value("natsPid", 0);
  state.postgres_pid = j.value("postgresPid", 0);
  // A serve killed with SIGKILL leaves its file behind; its pid tells.
  if (state.pid <= 0 || (::kill(state.pid, 0) != 0 && errno == ESRCH)) return std::nullopt;
  return state;
}

void remove_running_serve(const fs::path& data_dir) {
  std::error_code ignored;
  fs::remove(serve_state_path(data_dir), ignored);
}

Result<std::string> jwt_secret(const Settings& settings, CreateSecret create) {
  if (const auto& configured = settings.value(Key::jwt_secret)) return *configured;
  const fs::path path = data_dir_of(settings) / "jwt-secret";
  std::ifstream in(path);
  std::string secret;
  if (in >> secret && !secret.empty()) return secret;
  if (create == CreateSecret::no) {
    return fail(Errc::unauthorized, "no JWT secret: set --jwt-secret or PARKCHAT_JWT_SECRET, or run `parkchat serve` "
                                    "once so that it generates " + path.string());
  }
  secret = random_hex(32);
  if (auto written = write_private_file(path, secret + "\n"); !written) return tl::unexpected(written.error());
  return secret;
}

Result<std::string> database_url(const Settings& settings) {
  if (const auto& configured = settings.value(Key::database_url)) return *configured;
  const fs::path dir = data_dir_of(settings);
  if (auto running = read_running_serve(dir); running && !running->database_url.empty()) return running->database_url;
  return fail(Errc::validation, "no database: set --database-url or DATABASE_URL, or start `parkchat serve` "
                                "(embedded mode) with data dir " + dir.string());
}

}  // namespace parkchat::config
