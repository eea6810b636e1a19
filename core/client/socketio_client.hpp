#pragma once
// A Socket.IO client for the operator commands and `simulate`: Engine.IO 4 over WebSocket
// (parkchat always offers it, so no polling), Socket.IO 5, one namespace per client, events
// with acknowledgements, heartbeats answered and watched, and reconnection with exponential
// backoff. Built on websocketpp's client; any number of clients share one ClientLoop thread,
// which runs every callback.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/error.hpp"
#include "core/client/http_client.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace parkchat::client {

// The thread (and websocketpp endpoint) that clients run on.
class ClientLoop {
 public:
  static std::unique_ptr<ClientLoop> start();
  // Stops the thread; clients must be closed (or abandoned) first.
  ~ClientLoop();
  // Runs `task` on the loop's thread; from any thread.
  void post(std::function<void()> task);
  // The loop's Asio context, for timers that run with the clients.
  boost::asio::io_context& io_context();

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  ClientLoop();
  std::unique_ptr<Impl> impl_;
};

struct SocketIoOptions {
  ServerUrl server;
  // Other gateways of the same deployment: each reconnect (after a lost connection or a failed
  // attempt) tries the next of `server` and these, in turn.
  std::vector<ServerUrl> other_servers;
  std::string nsp = "/chat";
  nlohmann::json auth = nlohmann::json::object();
  // After a lost connection (not after close() or a refused CONNECT), connect again after
  // `reconnect_first`, doubling up to `reconnect_max`; reset once connected.
  bool reconnect = false;
  std::chrono::milliseconds reconnect_first{3000};
  std::chrono::milliseconds reconnect_max{30000};
  // A connection attempt that has not joined the namespace by then fails.
  std::chrono::milliseconds connect_timeout{10000};
};

struct SocketIoHandlers {
  // The namespace accepted the client (again, after a reconnect); data is the CONNECT reply.
  std::function<void(const nlohmann::json& data)> connected;
  // The namespace refused (CONNECT_ERROR data, e.g. {"message":"Unauthorized"}): no reconnect.
  std::function<void(const nlohmann::json& data)> refused;
  // The connection is gone or could not be made; `retry_in` when a reconnect is scheduled.
  std::function<void(const std::string& reason, std::optional<std::chrono::milliseconds> retry_in)> disconnected;
  // A server event: its name and arguments (an array).
  std::function<void(const std::string& event, const nlohmann::json& args)> event;
};

class SocketIoClient {
 public:
  using Ack = std::function<void(Result<nlohmann::json> args)>;

  // `loop` must outlive the client.
  static std::shared_ptr<SocketIoClient> create(ClientLoop& loop, SocketIoOptions options, SocketIoHandlers handlers);
  virtual ~SocketIoClient() = default;

  // From any thread.
  virtual void connect() = 0;
  // Emits event(arg). `ack`, when given, gets the server's ack arguments, or UNAVAILABLE when
  // none comes within `timeout` or the connection drops first.
  virtual void emit(const std::string& event, nlohmann::json arg, Ack ack = {},
                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) = 0;
  // Closes for good: no reconnect, pending acks fail.
  virtual void close() = 0;
};

}  // namespace parkchat::client
