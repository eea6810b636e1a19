// parkchat serve: run the whole system, or the roles given.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "cmd/command.hpp"
#include "core/auth/token.hpp"
#include "daemon/app.hpp"

namespace parkchat::cmd {

Run add_serve(CLI::App& sub) {
  auto settings = std::make_shared<config::Settings>();
  using config::Key;
  settings->add_to(sub, {Key::nats_url, Key::database_url, Key::jwt_secret, Key::listen, Key::roles, Key::data_dir,
                         Key::log_level, Key::log_format});
  auto options = std::make_shared<daemon::ServeOptions>();
  auto ms = [](std::chrono::milliseconds& target) {
    return [&target](std::int64_t value) { target = std::chrono::milliseconds(value); };
  };
  sub.add_flag("--conformance", options->conformance,
               "Serve only the protocol layers with the reference handlers of the Engine.IO and Socket.IO test "
               "suites (Engine.IO echo at /engine.io/, Socket.IO at /socket.io/); no NATS, no database");
  sub.add_option_function<std::int64_t>("--ping-interval", ms(options->ping_interval),
                                        "Engine.IO ping interval in ms (default 25000)")
      ->check(CLI::Range(std::int64_t{50}, std::int64_t{3'600'000}));
  sub.add_option_function<std::int64_t>("--ping-timeout", ms(options->ping_timeout),
                                        "How long a client has to answer a ping, in ms (default 20000)")
      ->check(CLI::Range(std::int64_t{50}, std::int64_t{3'600'000}));
  sub.add_option("--max-payload", options->max_payload,
                 "Largest Engine.IO message or polling body in bytes (default 1000000)")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{64} << 20));
  sub.add_option_function<std::int64_t>("--connect-timeout", ms(options->connect_timeout),
                                        "How long a client may take to join a namespace, in ms (default 45000)")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{3'600'000}));
  sub.add_option("--typing-rate", options->typing_rate,
                 "Typing events a socket may send a second, twice that in a burst; more are dropped (default 5)")
      ->check(CLI::Range(0.1, 1000.0));
  sub.add_option("--join-rate", options->join_rate,
                 "join_room and leave_room a socket may send a second, 400 in a burst; more are RATE_LIMITED "
                 "(default 20)")
      ->check(CLI::Range(0.1, 10000.0));
  // Per user and process (N processes allow N times as much).
  auto& budgets = options->budgets;
  sub.add_option_function<double>(
         "--send-rate", [&budgets](double rate) { budgets.sends = {rate, 2 * rate}; },
         "Messages a user may send a second, socket and REST together, twice that in a burst; more are "
         "RATE_LIMITED (default 20)")
      ->check(CLI::Range(0.1, 100000.0));
  sub.add_option_function<double>(
         "--rest-rate", [&budgets](double rate) { budgets.requests = {rate, 10 * rate}; },
         "REST requests a user may make a second, ten times that in a burst (default 50)")
      ->check(CLI::Range(0.1, 100000.0));
  sub.add_option_function<double>(
         "--read-rate", [&budgets](double rate) { budgets.reads = {rate, std::max(400.0, 2 * rate)}; },
         "History reads a user may make a second, 400 in a burst (a client refilling 200 rooms) (default 10)")
      ->check(CLI::Range(0.1, 100000.0));
  sub.add_option_function<double>(
         "--room-create-rate", [&budgets](double per_minute) { budgets.room_creations = {per_minute / 60, 3 * per_minute}; },
         "Rooms a user may create a minute, three times that in a burst (default 10)")
      ->check(CLI::Range(0.1, 100000.0));
  sub.add_option_function<double>(
         "--room-add-rate", [&budgets](double per_hour) { budgets.rooms_adding = {per_hour / 3600, per_hour}; },
         "New rooms and member additions that may add one user an hour, all of them in a burst (default 60)")
      ->check(CLI::Range(1.0, 1000000.0));
  sub.add_option("--max-sockets-per-user", options->max_sockets_per_user,
                 "Sockets one user may hold; one more closes the user's oldest with an error event (default 20)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  sub.add_option_function<std::int64_t>("--max-queue-delay", ms(options->max_queue_delay),
                                        "Refuse sends (UNAVAILABLE, retryAfterMs) while deliveries wait longer than this "
                                        "for the gateway, in ms (default 250)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{60'000}));
  sub.add_option_function<std::string>(
         "--dedupe-window",
         [options](const std::string& text) {
           auto window = auth::parse_duration(text);
           if (!window || *window < std::chrono::seconds(1) || *window > std::chrono::hours(24)) {
             throw CLI::ValidationError("--dedupe-window", "expected a duration from 1s to 24h, such as 2m or 90s");
           }
           options->dedupe_window = *window;
         },
         "How long a resent message id is recognised and not delivered again (JetStream's duplicate window; "
         "nats-server keeps about 100 bytes per message of the window; default 2m)");
  sub.add_option("--stream-replicas", options->stream_replicas,
                 "Copies of each JetStream stream across a NATS cluster, set by the service role (3 survives the "
                 "loss of one server, 5 of two; more than 1 needs a cluster of at least that many; default 1)")
      ->check(CLI::Range(1, 5));
  sub.add_option_function<std::string>(
         "--ack-after",
         [options](const std::string& when) { options->ack_after_stored = when == "stored"; },
         "When a socket's send is acknowledged: 'published' once the stream has it (JetStream's ack; what "
         "nats-server has not yet flushed to disk is lost if its machine crashes), or 'stored' once its row is "
         "committed in PostgreSQL (survives that; costs latency). REST sends are always stored (default published)")
      ->check(CLI::IsMember({"published", "stored"}));
  sub.add_option("--web-dir", options->web_dir,
                 "Serve the web client from this folder (a checkout's web/, with its node_modules) instead of the "
                 "files compiled in, read on every request: for working on the page");
  sub.add_flag_function(
      "--dev-login,!--no-dev-login", [options](std::int64_t count) { options->dev_login = count > 0; },
      "POST /dev/token signs in as any user id (the web page's 'sign in as' form). Default: on only in the "
      "embedded setup (no --nats-url, no --database-url, the generated secret) on a loopback --listen; refused "
      "with any other --listen");
  sub.add_option("--threads", options->threads,
                 "Listener threads on the one port, each with its own share of the sockets and REST requests "
                 "(default: one per core)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{64}));
  sub.add_option("--allowed-origins", options->allowed_origins,
                 "Browser Origins the gateway admits, comma-separated (default: any)")
      ->delimiter(',');
  sub.footer(
      "Examples:\n"
      "  parkchat serve                                   # embedded NATS and PostgreSQL in ./.parkchat\n"
      "  parkchat serve --nats-url nats://10.0.0.5:4222 \\\n"
      "      --database-url postgresql://chat@10.0.0.6/chat --roles gateway,api\n"
      "  parkchat serve --conformance --listen 127.0.0.1:3000   # for protocol test suites");
  return [settings, options] {
    if (int code = prepare(*settings); code != 0) return code;
    return daemon::run_serve(*settings, *options, std::cout);
  };
}

}  // namespace parkchat::cmd
