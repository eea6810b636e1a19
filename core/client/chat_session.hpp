#pragma once
// A blocking /chat session for the operator commands, on the Socket.IO client: connect, join a
// room, send with the gateway's acknowledgement. The caller's thread waits; the client's
// callbacks run on the ClientLoop.

#include <chrono>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/base/error.hpp"
#include "core/client/socketio_client.hpp"

namespace parkchat::client {

// The error of a refused request's ack ({success:false, error:{code, message}}).
Error ack_error(const nlohmann::json& ack);
// What the gateway answered a request with: the ack ({success:true, ...}, its first argument),
// or the refusal's error, or the error of getting no answer.
Result<nlohmann::json> ack_result(const Result<nlohmann::json>& args);

class ChatSession {
 public:
  // Connects to /chat and joins `room_id`. UNAVAILABLE (naming the server) when it cannot
  // connect within `timeout`; UNAUTHORIZED when the token is refused; the join's error.
  static Result<std::unique_ptr<ChatSession>> open(ClientLoop& loop, const ServerUrl& server, const std::string& token,
                                                   const std::string& room_id, std::chrono::milliseconds timeout);
  ~ChatSession();

  // send_message; the ack's data ({success, message, duplicate}) or its error.
  Result<nlohmann::json> send(const std::string& id, const std::string& content, const std::string& type,
                              std::chrono::milliseconds timeout);

 private:
  explicit ChatSession(std::shared_ptr<SocketIoClient> socket, std::string room_id)
      : socket_(std::move(socket)), room_id_(std::move(room_id)) {}
  Result<nlohmann::json> call(const std::string& event, nlohmann::json payload, std::chrono::milliseconds timeout);

  std::shared_ptr<SocketIoClient> socket_;
  std::string room_id_;
};

}  // namespace parkchat::client
