#pragma once
// The listening socket of `serve`, on websocketpp and Asio: plain HTTP requests are handed to a
// handler as values, and the handler answers later, from any thread, through `Respond`. This is
// the only place that includes websocketpp; the gateway's WebSocket side will join it here.
// One Asio thread runs all connections; no handler may block it.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/base/error.hpp"

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
};

// Answers a request; call exactly once, from any thread.
using Respond = std::function<void(HttpResponse response)>;
using HttpHandler = std::function<void(HttpRequest request, Respond respond)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 3003;  // 0: any free port
  // A client that has not sent a whole request by then is disconnected.
  std::chrono::milliseconds request_timeout{10000};
  // Larger bodies are refused by the HTTP layer itself (413); routes set tighter limits.
  std::size_t max_body_bytes = 1'000'000;
};

class HttpServer {
 public:
  // Binds and starts serving; UNAVAILABLE naming host:port when it cannot bind.
  static Result<std::unique_ptr<HttpServer>> start(const HttpServerOptions& options, HttpHandler handler);
  ~HttpServer();

  int port() const;
  // Stops accepting, closes connections, joins the Asio thread; idempotent.
  void stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "host:port" → (host, port); a bad port is a VALIDATION error naming the text.
Result<std::pair<std::string, int>> parse_listen_address(const std::string& text);

}  // namespace parkchat::web
