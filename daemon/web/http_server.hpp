#pragma once
// The listening socket of `serve`, on websocketpp and Asio: plain HTTP requests are handed to a
// handler as values, and the handler answers later, from any thread, through `Respond`;
// WebSocket connections are handed to a WebSocketHandler as numbered connections. This is the
// only place that includes websocketpp. An HttpServer is one Asio thread that runs its
// connections and every handler of them; no handler may block it. Other threads reach that
// thread through post(). HttpShards runs several on one port, one per core.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/error.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace parkchat::web {

struct HttpRequest {
  std::string method;
  std::string path;   // without the query
  std::string query;  // after '?', undecoded
  std::string body;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string remote;

  std::string header(const std::string& lowercase_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // added to the standard ones
};

// Answers a request; call exactly once, from any thread.
using Respond = std::function<void(HttpResponse response)>;
using HttpHandler = std::function<void(HttpRequest request, Respond respond)>;

// A WebSocket connection of this server; never reused within a process.
using ConnectionId = std::uint64_t;

// The close code of an empty close frame (RFC 6455 §7.4.1: "no status"): close() with it and an
// empty reason sends a close frame without a payload, which the peer reports as 1005.
constexpr std::uint16_t kCloseNoStatus = 1005;

// A text message for any number of WebSocket connections, on any number of threads: framed
// (and checked as UTF-8) once, when made, on whichever thread makes it; immutable afterwards,
// so the same bytes are queued on every connection of every shard.
class SharedText {
 public:
  explicit SharedText(std::string text);
  const std::string& text() const { return text_; }
  // False when the text is not UTF-8: it is never sent over WebSocket.
  bool framed() const { return framed_ != nullptr; }

 private:
  friend class HttpServer;
  std::string text_;
  std::shared_ptr<const void> framed_;  // websocketpp's prepared message
};

// Receives the WebSocket side; every call is on the Asio thread.
class WebSocketHandler {
 public:
  virtual ~WebSocketHandler() = default;
  // Before the upgrade: nullopt accepts it; a response refuses it with that status and body.
  virtual std::optional<HttpResponse> accept(const HttpRequest& request) = 0;
  virtual void on_open(ConnectionId id, const HttpRequest& request) = 0;
  virtual void on_message(ConnectionId id, std::string_view data, bool binary) = 0;
  // The connection is gone (closed by either side, or failed); `id` is not used again.
  virtual void on_close(ConnectionId id) = 0;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 3003;  // 0: any free port
  // A client that has not sent a whole request by then is disconnected.
  std::chrono::milliseconds request_timeout{10000};
  // Larger bodies are refused by the HTTP layer itself (413); routes set tighter limits.
  std::size_t max_body_bytes = 1'000'000;
  // Larger WebSocket messages close their connection (1009, message too big).
  std::size_t max_message_bytes = 1'000'000;
  // Null: WebSocket upgrades are refused.
  WebSocketHandler* websocket = nullptr;
  // Runs once the server listens and before it serves anyone: wire what needs the server here.
  std::function<void(class HttpServer& server)> before_serving;
};

// Which shard serves a new connection, from the target of its first request line (possibly cut
// short: "/socket.io/?EIO=4&transport=polling&sid=…"): its index, or nullopt for the shard
// whose thread accepted it.
using ConnectionRoute = std::function<std::optional<std::size_t>(std::string_view target)>;

// What one shard answers with.
struct ShardWiring {
  HttpHandler handler;
  WebSocketHandler* websocket = nullptr;  // null: upgrades refused
};

class HttpServer {
 public:
  // Binds and starts serving; UNAVAILABLE naming host:port when it cannot bind.
  static Result<std::unique_ptr<HttpServer>> start(const HttpServerOptions& options, HttpHandler handler);
  ~HttpServer();

  int port() const;
  // The Asio context of the connections, for timers that run on the same thread.
  boost::asio::io_context& io_context();
  // Runs `task` on the Asio thread; from any thread.
  void post(std::function<void()> task);

  // WebSocket output, on the Asio thread only. send() is false when the connection is gone.
  bool send(ConnectionId id, std::string_view data, bool binary);
  bool send(ConnectionId id, const SharedText& text);
  // Bytes queued for the connection and not yet written to its socket.
  std::size_t buffered_bytes(ConnectionId id) const;
  // Starts the closing handshake with `code` and `reason` (kCloseNoStatus: with no payload; the
  // reason must then be empty); on_close follows.
  void close(ConnectionId id, std::uint16_t code, const std::string& reason);
  std::size_t websocket_count() const;

  // Stops accepting new connections; those open stay; from any thread.
  void stop_accepting();
  // Stops accepting, closes connections, joins the Asio thread; idempotent.
  void stop();

  struct Impl;

 private:
  friend class HttpShards;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  // Starts accepting and the Asio thread.
  void serve();
  std::unique_ptr<Impl> impl_;
};

// Several HttpServers ("shards") on one address, each its own thread, io_context, websocketpp
// endpoint and listening socket, bound together with SO_REUSEPORT so that the kernel spreads
// new connections over them. A shard reads the first line of each connection it accepts
// without consuming it (MSG_PEEK) and hands the connection, before websocketpp has read a
// byte, to the shard that `route` names: an Engine.IO session's polling requests and its
// WebSocket upgrade all reach the shard that owns the session, and nothing is forwarded later.
class HttpShards {
 public:
  // `wire(i, shard)` runs for each shard, before any shard serves, and says what it answers with.
  // One shard reads no first lines. A port that another socket holds is refused (UNAVAILABLE),
  // even one bound with SO_REUSEPORT: two servers never share a port by accident.
  static Result<std::unique_ptr<HttpShards>> start(const HttpServerOptions& options, std::size_t count,
                                                   ConnectionRoute route,
                                                   const std::function<ShardWiring(std::size_t, HttpServer&)>& wire);
  ~HttpShards();

  std::size_t size() const { return shards_.size(); }
  HttpServer& shard(std::size_t index) { return *shards_[index]; }
  int port() const;
  void stop_accepting();
  // Stops every shard (no shard hands a connection to another once any has stopped); idempotent.
  void stop();

 private:
  HttpShards() = default;
  std::vector<std::unique_ptr<HttpServer>> shards_;
};

// "host:port" → (host, port); a bad port is a VALIDATION error naming the text.
Result<std::pair<std::string, int>> parse_listen_address(const std::string& text);

}  // namespace parkchat::web
