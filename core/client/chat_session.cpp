#include "core/client/chat_session.hpp"

#include <future>

#include "core/proto/envelope.hpp"

namespace parkchat::client {

Error ack_error(const nlohmann::json& ack) {
  if (ack.is_object() && ack.contains("error") && ack["error"].is_object()) {
    const auto& error = ack["error"];
    auto code = proto::parse_code(error.value("code", ""));
    return Error{code.value_or(Errc::internal), error.value("message", "refused")};
  }
  return Error{Errc::internal, "unexpected acknowledgement " + ack.dump()};
}

Result<nlohmann::json> ack_result(const Result<nlohmann::json>& args) {
  if (!args) return tl::unexpected(args.error());
  const nlohmann::json ack = args->is_array() && !args->empty() ? (*args)[0] : nlohmann::json();
  if (!ack.is_object() || !ack.value("success", false)) return tl::unexpected(ack_error(ack));
  return ack;
}

Result<std::unique_ptr<ChatSession>> ChatSession::open(ClientLoop& loop, const ServerUrl& server, const std::string& token,
                                                       const std::string& room_id, std::chrono::milliseconds timeout) {
  auto outcome = std::make_shared<std::promise<Result<void>>>();
  auto settled = std::make_shared<std::atomic<bool>>(false);
  auto settle = [outcome, settled](Result<void> result) {
    if (!settled->exchange(true)) outcome->set_value(std::move(result));
  };
  SocketIoOptions options;
  options.server = server;
  options.auth = {{"token", token}};
  options.connect_timeout = timeout;
  SocketIoHandlers handlers;
  handlers.connected = [settle](const nlohmann::json&) { settle({}); };
  handlers.refused = [settle](const nlohmann::json& data) {
    settle(fail(Errc::unauthorized, "the server refused the token: " + data.value("message", data.dump())));
  };
  handlers.disconnected = [settle](const std::string& reason, std::optional<std::chrono::milliseconds>) {
    settle(fail(Errc::unavailable, reason));
  };
  auto socket = SocketIoClient::create(loop, options, handlers);
  socket->connect();
  auto future = outcome->get_future();
  if (future.wait_for(timeout + std::chrono::seconds(1)) != std::future_status::ready) {
    socket->close();
    return fail(Errc::unavailable, "no connection to " + server.text() + " within " + std::to_string(timeout.count()) + " ms");
  }
  if (auto connected = future.get(); !connected) {
    socket->close();
    return tl::unexpected(connected.error());
  }
  std::unique_ptr<ChatSession> session(new ChatSession(socket, room_id));
  auto joined = session->call("join_room", {{"roomId", room_id}}, timeout);
  if (!joined) return tl::unexpected(joined.error());
  return session;
}

ChatSession::~ChatSession() { socket_->close(); }

Result<nlohmann::json> ChatSession::call(const std::string& event, nlohmann::json payload, std::chrono::milliseconds timeout) {
  auto reply = std::make_shared<std::promise<Result<nlohmann::json>>>();
  socket_->emit(
      event, std::move(payload), [reply](Result<nlohmann::json> args) { reply->set_value(std::move(args)); }, timeout);
  return ack_result(reply->get_future().get());
}

Result<nlohmann::json> ChatSession::send(const std::string& id, const std::string& content, const std::string& type,
                                         std::chrono::milliseconds timeout) {
  return call("send_message", {{"id", id}, {"roomId", room_id_}, {"content", content}, {"type", type}}, timeout);
}

}  // namespace parkchat::client
