#pragma once
// `serve --conformance`: the protocol layers alone, with the reference handlers that the
// official Engine.IO and Socket.IO protocol test suites expect (CONTRACT §4), so that any
// conformance suite can be pointed at this server. No NATS, no database, no token.

#include <memory>
#include <string>
#include <vector>

#include "core/base/error.hpp"
#include "daemon/gateway/engine_server.hpp"
#include "daemon/gateway/socketio_server.hpp"

namespace parkchat::gateway {

// Engine.IO at /engine.io/: every message comes back as it was sent, text or binary.
class EchoListener : public EngineListener {
 public:
  void on_open(EngineSession&) override {}
  void on_message(EngineSession& session, std::string_view data, bool binary) override;
  void on_close(EngineSession&, std::string_view) override {}
};

// Socket.IO namespaces "/" and "/custom": emit `auth` with the handshake's auth on connect;
// on "/", `message` answers `message-back` with the same arguments and `message-with-ack` is
// acknowledged with its arguments.
class ReferenceNamespace : public Namespace {
 public:
  explicit ReferenceNamespace(bool answers_messages) : answers_messages_(answers_messages) {}
  std::optional<nlohmann::json> authorize(SioSocket&, const nlohmann::json&) override { return std::nullopt; }
  void on_connect(SioSocket& socket, const nlohmann::json& auth) override;
  void on_event(SioSocket& socket, const std::string& name, nlohmann::json& args,
                std::optional<std::uint64_t> ack_id) override;
  void on_disconnect(SioSocket&, std::string_view) override {}

 private:
  bool answers_messages_;
};

struct ConformanceOptions {
  std::string host = "127.0.0.1";
  int port = 3003;
  std::size_t threads = 1;  // listener threads, as serve --threads
};

// Both reference servers on one listener, with the suites' timings: pingInterval 300 ms,
// pingTimeout 200 ms, maxPayload 1000000, connectTimeout 1000 ms; and upgradeTimeout 1000 ms.
class ConformanceServer {
 public:
  static Result<std::unique_ptr<ConformanceServer>> start(const ConformanceOptions& options);
  ~ConformanceServer();
  int port() const { return web_->port(); }

 private:
  ConformanceServer() = default;
  // The protocol layers of one listener thread; the handlers are shared (they keep no state).
  struct Shard {
    Shard(std::size_t index, EchoListener& echo, ReferenceNamespace& main, ReferenceNamespace& custom);
    SioServer sio;
    EngineServer echo_engine;
    EngineServer sio_engine;
    EngineRouter router;
  };

  EchoListener echo_;
  ReferenceNamespace main_{true};
  ReferenceNamespace custom_{false};
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<web::HttpShards> web_;
};

}  // namespace parkchat::gateway
