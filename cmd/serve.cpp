// parkchat serve: run the whole system, or the roles given.

#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "cmd/command.hpp"
#include "daemon/app.hpp"

namespace parkchat::cmd {

Run add_serve(CLI::App& sub) {
  auto settings = std::make_shared<config::Settings>();
  using config::Key;
  settings->add_to(sub, {Key::nats_url, Key::database_url, Key::jwt_secret, Key::listen, Key::roles, Key::data_dir,
                         Key::log_level, Key::log_format});
  sub.footer(
      "Examples:\n"
      "  parkchat serve                                   # embedded NATS and PostgreSQL in ./.parkchat\n"
      "  parkchat serve --nats-url nats://10.0.0.5:4222 \\\n"
      "      --database-url postgresql://chat@10.0.0.6/chat --roles gateway,api");
  return [settings] {
    if (int code = prepare(*settings); code != 0) return code;
    return daemon::run_serve(*settings, std::cout);
  };
}

}  // namespace parkchat::cmd
