// parkchat tail ROOM [-n 50] [-f] [--json] [--as USER[:NAME] | --token T]
// parkchat tail --all [-n 50] [-f] …
// The room's last messages, oldest first; with -f, then everything that happens in it, across
// reconnections, until Ctrl-C. With --all, the last message of each of the user's rooms, and
// with -f every new message in any of them.

#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>

#include "cmd/command.hpp"
#include "core/base/clock.hpp"
#include "core/client/room_follower.hpp"
#include "core/client/user_follower.hpp"

namespace parkchat::cmd {
namespace {

volatile std::sig_atomic_t interrupted = 0;
void on_interrupt(int) { interrupted = 1; }

// Prints for a person (aligned columns, colours on a terminal, typing on one updating line)
// or as JSON lines (messages as in CONTRACT §3, other events with an "event" field).
class Printer {
 public:
  Printer(bool json, bool terminal) : json_(json), terminal_(terminal) {}

  // `room`: the room's name, shown when several rooms are followed.
  void message(const nlohmann::json& m, const std::string& room = "") {
    clear_typing();
    if (json_) {
      std::cout << m.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
      return;
    }
    const std::string sender = m.value("senderName", "") + " (" + std::to_string(m.value("senderId", 0)) + ")";
    std::string when = "--:--:--";
    if (auto micros = parse_iso8601(m.value("createdAt", ""))) {
      std::time_t seconds = static_cast<std::time_t>(*micros / 1'000'000);
      std::tm local{};
      localtime_r(&seconds, &local);
      char buffer[16];
      std::strftime(buffer, sizeof buffer, "%H:%M:%S", &local);
      when = buffer;
    }
    const bool system = m.value("type", "") == "SYSTEM";
    std::cout << dim(when) << "  " << (room.empty() ? "" : colour(pad("#" + room, 16), "33") + "  ")
              << colour(pad(system ? "*" : sender, 22), system ? "2" : "36") << "  "
              << m.value("content", "") << (m.value("type", "") == "IMAGE" ? dim("  [image]") : "") << std::endl;
  }

  void event(const char* name, const nlohmann::json& data, const std::string& text) {
    if (json_) {
      nlohmann::json out = data.is_object() ? data : nlohmann::json::object();
      out["event"] = name;
      std::cout << out.dump() << std::endl;
      return;
    }
    clear_typing();
    std::cout << dim("-- " + text) << std::endl;
  }

  bool json() const { return json_; }

  void typing(const nlohmann::json& data) {
    if (json_) return event("typing", data, "");
    const std::string who = data.value("userName", "user " + std::to_string(data.value("userId", 0)));
    if (!terminal_) return;  // piped: typing is noise
    std::cout << "\r\033[K" << dim(data.value("isTyping", false) ? who + " is typing…" : "") << std::flush;
    typing_shown_ = data.value("isTyping", false);
  }

 private:
  void clear_typing() {
    if (typing_shown_) std::cout << "\r\033[K";
    typing_shown_ = false;
  }
  std::string colour(const std::string& text, const char* code) const {
    return terminal_ ? "\033[" + std::string(code) + "m" + text + "\033[0m" : text;
  }
  std::string dim(const std::string& text) const { return colour(text, "2"); }
  static std::string pad(std::string text, std::size_t width) {
    if (text.size() < width) text.append(width - text.size(), ' ');
    return text;
  }

  bool json_;
  bool terminal_;
  bool typing_shown_ = false;
};


void catch_interrupts() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// Prints one followed event; an exit code when following has ended.
std::optional<int> print_event(const client::RoomEvent& event, Printer& printer, bool json) {
  using Kind = client::RoomEvent::Kind;
  switch (event.kind) {
    case Kind::message: printer.message(event.data, event.room_name); break;
    case Kind::typing: printer.typing(event.data); break;
    case Kind::user_joined: printer.event("user_joined", event.data, event.data.value("userName", "someone") + " joined"); break;
    case Kind::user_left:
      printer.event("user_left", event.data, "user " + std::to_string(event.data.value("userId", 0)) + " left");
      break;
    case Kind::connected:
    case Kind::disconnected:
      if (!json) printer.event("status", {}, event.text);
      if (json || !::isatty(STDERR_FILENO)) std::cerr << "parkchat tail: " << event.text << "\n";
      break;
    case Kind::fatal: return report_failure("tail", event.text);
  }
  return std::nullopt;
}

// --all: each room's last message, oldest activity first; then, with -f, every new one.
int tail_all(client::ClientLoop& loop, const std::vector<client::ServerUrl>& servers, const std::string& token,
             const client::FollowOptions& options, bool follow, Printer& printer) {
  client::UserFollower follower(loop, servers, token, options);
  auto latest = follower.latest(options.backlog);
  if (!latest) return report_failure("tail", std::string(code_name(latest.error().code)) + ": " + latest.error().message);
  for (const auto& event : *latest) printer.message(event.data, event.room_name);
  if (!follow) return 0;
  catch_interrupts();
  follower.start();
  while (!interrupted) {
    auto event = follower.next(std::chrono::milliseconds(200));
    if (!event) continue;
    if (auto code = print_event(*event, printer, printer.json())) return *code;
  }
  return 0;
}

}  // namespace

Run add_tail(CLI::App& sub) {
  struct Options {
    config::Settings settings;
    std::string room;
    bool all = false;
    int lines = 50;
    bool follow = false;
    bool json = false;
    Identity identity;
  };
  auto o = std::make_shared<Options>();
  o->settings.add_to(sub, {config::Key::url, config::Key::jwt_secret, config::Key::data_dir, config::Key::log_level,
                           config::Key::log_format});
  auto* room = sub.add_option("room", o->room, "room id");
  auto* all = sub.add_flag("--all", o->all, "every room of the user: the last message of each, and with -f every new message in any");
  room->excludes(all);
  sub.add_option("-n,--lines", o->lines, "messages of history to show first (with --all: rooms, one message each)")->check(CLI::Range(0, 10000))->capture_default_str();
  sub.add_flag("-f,--follow", o->follow, "then follow live: the room's messages, typing, joins and leaves (with --all: every new message)");
  sub.add_flag("--json", o->json, "one JSON object per line on stdout, nothing else");
  add_identity_options(sub, o->identity);
  sub.footer(
      "Examples:\n"
      "  parkchat tail 3f2b…-… -n 20 --as 5\n"
      "  parkchat tail 3f2b…-… -f --as 5:Lee\n"
      "  parkchat tail 3f2b…-… -f --json --token \"$TOKEN\" | jq .content\n"
      "  parkchat tail --all -f --as 5");
  return [o] {
    if (o->room.empty() && !o->all) {
      std::cerr << "parkchat tail: a room id is required, or --all for every room of the user\n";
      return 2;
    }
    if (int code = prepare(o->settings); code != 0) return code;
    int exit_code = 0;
    auto servers = server_urls("tail", o->settings, exit_code);
    if (!servers) return exit_code;
    auto token = identity_token("tail", o->settings, o->identity, exit_code);
    if (!token) return exit_code;
    Printer printer(o->json, ::isatty(STDOUT_FILENO) != 0);
    auto loop = client::ClientLoop::start();
    client::FollowOptions follow;
    follow.backlog = o->lines;
    if (o->all) return tail_all(*loop, *servers, *token, follow, o->follow, printer);
    client::RoomFollower follower(*loop, *servers, *token, o->room, follow);
    if (!o->follow) {
      auto messages = follower.backlog();
      if (!messages) return report_failure("tail", std::string(code_name(messages.error().code)) + ": " + messages.error().message);
      for (const auto& m : *messages) printer.message(m);
      return 0;
    }
    catch_interrupts();
    follower.start();
    while (!interrupted) {
      auto event = follower.next(std::chrono::milliseconds(200));
      if (!event) continue;
      if (auto code = print_event(*event, printer, o->json)) return *code;
    }
    return 0;
  };
}

}  // namespace parkchat::cmd
