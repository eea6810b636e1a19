#pragma once
// Engine.IO 4 server: sessions over HTTP long-polling and WebSocket, the upgrade from the first
// to the second, heartbeats, and the handshake errors of the protocol. The layer above
// (Socket.IO, or the conformance echo) sees sessions that open, carry messages and close.
//
// Everything runs on the web server's Asio thread: no locks, and no handler may block.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/obs/metrics.hpp"
#include "daemon/web/http_server.hpp"

namespace parkchat::gateway {

struct EngineOptions {
  std::string path = "/socket.io/";
  std::chrono::milliseconds ping_interval{25000};
  std::chrono::milliseconds ping_timeout{20000};
  // A WebSocket opened to upgrade a session that has not sent "5" by then is closed; the session
  // goes on over its transport.
  std::chrono::milliseconds upgrade_timeout{10000};
  std::size_t max_payload = 1'000'000;
  // A session whose unsent output passes this is closed rather than allowed to grow.
  std::size_t max_buffered_bytes = 4u << 20;
  // Browser Origins allowed in; empty allows any (non-browser clients send none).
  std::vector<std::string> allowed_origins;
  // Count handshake and transport errors answered, and sessions cut for slow reading, if set.
  obs::Counter* handshake_errors = nullptr;
  obs::Counter* slow_readers = nullptr;
  // The shard this engine runs on: its session ids say so (session_ids.hpp), so that every
  // request of a session reaches it.
  std::size_t shard = 0;
};

// One encoded Engine.IO text packet, type digit included ("4…"): built once, shared by every
// session it is sent to (and framed once for all WebSocket sessions).
using Frame = std::shared_ptr<const web::SharedText>;
Frame make_frame(std::string packet);

class EngineSession {
 public:
  // What the layer above keeps in a session.
  struct Attachment {
    virtual ~Attachment() = default;
  };

  virtual ~EngineSession() = default;
  virtual const std::string& id() const = 0;
  // The request that opened the session, without its headers and body: its query carries the
  // client's parameters.
  virtual const web::HttpRequest& handshake() const = 0;
  virtual bool is_open() const = 0;
  // Queues a text packet (`frame` starts with its type digit).
  virtual void send(const Frame& frame) = 0;
  virtual void send_binary(std::string bytes) = 0;
  // Closes from the server side; the listener's on_close follows at once.
  virtual void close(std::string_view reason) = 0;

  std::unique_ptr<Attachment> attachment;
};

class EngineListener {
 public:
  virtual ~EngineListener() = default;
  virtual void on_open(EngineSession& session) = 0;
  virtual void on_message(EngineSession& session, std::string_view data, bool binary) = 0;
  // Called once per session; the session is gone afterwards.
  virtual void on_close(EngineSession& session, std::string_view reason) = 0;
};

class EngineServer {
 public:
  EngineServer(EngineOptions options, EngineListener& listener);
  ~EngineServer();

  // Connects to the web server that carries the sessions; before any request arrives.
  void attach(web::HttpServer& web);
  const EngineOptions& options() const { return options_; }
  bool serves(const std::string& path) const { return path == options_.path; }

  // HTTP: the handshake, polling GETs and POSTs.
  void handle_http(const web::HttpRequest& request, web::Respond respond);
  // WebSocket: a new session, or the upgrade of an open one (polling, or WebSocket: a second
  // WebSocket that completes the upgrade replaces the first).
  std::optional<web::HttpResponse> accept(const web::HttpRequest& request);
  void on_ws_open(web::ConnectionId id, const web::HttpRequest& request);
  void on_ws_message(web::ConnectionId id, std::string_view data, bool binary);
  void on_ws_close(web::ConnectionId id);

  // Closes every session with `reason`.
  void close_all(std::string_view reason);

  class Session;

 private:
  friend class Session;
  std::shared_ptr<Session> open_session(const web::HttpRequest& request, bool websocket);
  // A handshake or transport error's answer, counted.
  web::HttpResponse refused(int error);
  void forget(Session& session);

  EngineOptions options_;
  EngineListener& listener_;
  web::HttpServer* web_ = nullptr;
  std::unordered_map<std::string, std::shared_ptr<Session>> sessions_;
  std::unordered_map<web::ConnectionId, std::shared_ptr<Session>> by_connection_;
};

// Routes the WebSocket side of one web server to the engines by path.
class EngineRouter : public web::WebSocketHandler {
 public:
  explicit EngineRouter(std::vector<EngineServer*> engines) : engines_(std::move(engines)) {}
  // The engine that serves `path`, or null.
  EngineServer* find(const std::string& path) const;

  std::optional<web::HttpResponse> accept(const web::HttpRequest& request) override;
  void on_open(web::ConnectionId id, const web::HttpRequest& request) override;
  void on_message(web::ConnectionId id, std::string_view data, bool binary) override;
  void on_close(web::ConnectionId id) override;

 private:
  std::vector<EngineServer*> engines_;
  std::unordered_map<web::ConnectionId, EngineServer*> owners_;
};

}  // namespace parkchat::gateway
