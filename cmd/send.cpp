// parkchat send --room ID [--as USER[:NAME] | --token T] [--type TEXT|IMAGE] [--id UUID]
//               [--via auto|ws|rest] MESSAGE|-
// Sends through the gateway and waits for its ack; falls back to REST (seed §8.1) with the same
// message id, so a message is stored once whichever way it went. Prints each stored id. A
// message given --id may be a resend of any age: it goes through REST unless --via ws says
// otherwise (core/client/resend.hpp).

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <vector>

#include <CLI/CLI.hpp>

#include "cmd/command.hpp"
#include "core/base/uuid.hpp"
#include "core/client/chat_session.hpp"
#include "core/client/resend.hpp"
#include "core/client/rest_client.hpp"

namespace parkchat::cmd {
namespace {

std::string describe(const Error& error) {
  std::string text = std::string(code_name(error.code)) + ": " + error.message;
  if (error.code == Errc::unauthorized) text += " (expired, or signed with another secret?)";
  if (error.code == Errc::not_found) text += " (is the room id right, and is this user a member?)";
  return text;
}

}  // namespace

Run add_send(CLI::App& sub) {
  struct Options {
    config::Settings settings;
    std::string room;
    Identity identity;
    std::string type = "TEXT";
    std::optional<std::string> id;
    std::string via = "auto";
    std::string message;
  };
  auto o = std::make_shared<Options>();
  o->settings.add_to(sub, {config::Key::url, config::Key::jwt_secret, config::Key::data_dir, config::Key::log_level,
                           config::Key::log_format});
  sub.add_option("--room", o->room, "room id")->required();
  add_identity_options(sub, o->identity);
  sub.add_option("--type", o->type, "TEXT or IMAGE (an http(s) URL)")->check(CLI::IsMember({"TEXT", "IMAGE"}))->capture_default_str();
  sub.add_option("--id", o->id,
                 "message id (a UUID), to make a retry idempotent; with --via auto it goes through REST, which finds "
                 "the id in history at any age");
  sub.add_option("--via", o->via, "auto (gateway, then REST), ws or rest")
      ->check(CLI::IsMember({"auto", "ws", "rest"}))
      ->capture_default_str();
  sub.add_option("message", o->message, "the text, or - to send each line of standard input")->required();
  sub.footer(
      "Examples:\n"
      "  parkchat send --room 3f2b…-… --as 4:Kim 'first tee at 7?'\n"
      "  tail -f notes.txt | parkchat send --room 3f2b…-… --as 4 -\n"
      "  parkchat send --room 3f2b…-… --token \"$TOKEN\" --via rest --id 6d1c…-… 'retry-safe'");
  return [o] {
    if (int code = prepare(o->settings); code != 0) return code;
    int exit_code = 0;
    auto servers = server_urls("send", o->settings, exit_code);
    if (!servers) return exit_code;
    auto token = identity_token("send", o->settings, o->identity, exit_code);
    if (!token) return exit_code;
    if (o->id && (!is_uuid(*o->id) || o->message == "-")) {
      std::cerr << "parkchat send: --id must be a UUID, and goes with a single message\n";
      return 2;
    }
    std::vector<std::string> messages;
    if (o->message == "-") {
      for (std::string line; std::getline(std::cin, line);) {
        if (!line.empty()) messages.push_back(line);
      }
    } else {
      messages.push_back(o->message);
    }

    constexpr auto kTimeout = std::chrono::seconds(5);
    std::unique_ptr<client::ClientLoop> loop;
    std::unique_ptr<client::ChatSession> session;
    // An explicit id is a retry whose first attempt may lie past the duplicate window.
    const bool resend = o->id && o->via == "auto" &&
                        client::resend_path(std::chrono::steady_clock::duration::max()) == client::ResendPath::rest;
    if (o->via != "rest" && !resend) {
      loop = client::ClientLoop::start();
      // The first gateway that lets the client in; a refusal (not UNAVAILABLE) is final.
      auto opened = client::ChatSession::open(*loop, servers->front(), *token, o->room, kTimeout);
      for (std::size_t i = 1; i < servers->size() && !opened && opened.error().code == Errc::unavailable; ++i) {
        std::cerr << "parkchat send: " << opened.error().message << "; trying " << (*servers)[i].text() << "\n";
        opened = client::ChatSession::open(*loop, (*servers)[i], *token, o->room, kTimeout);
      }
      if (opened) {
        session = std::move(*opened);
      } else if (o->via == "ws" || opened.error().code != Errc::unavailable) {
        return report_failure("send", describe(opened.error()));
      } else {
        std::cerr << "parkchat send: gateway unavailable (" << opened.error().message << "); sending through REST\n";
      }
    }
    client::RestClient rest(*servers, *token);
    for (const auto& content : messages) {
      const std::string id = o->id ? canonical_uuid(*o->id) : new_uuid();
      if (session) {
        auto ack = session->send(id, content, o->type, kTimeout);
        if (ack) {
          std::cout << (*ack)["message"].value("id", id) << std::endl;
          continue;
        }
        if (o->via == "ws" || ack.error().code != Errc::unavailable) return report_failure("send", describe(ack.error()));
        std::cerr << "parkchat send: no acknowledgement (" << ack.error().message << "); sending through REST\n";
        session.reset();
      }
      auto stored = rest.send_message(o->room, id, content, o->type);
      if (!stored) return report_failure("send", describe(stored.error()));
      std::cout << stored->value("id", id) << std::endl;
    }
    return 0;
  };
}

}  // namespace parkchat::cmd
