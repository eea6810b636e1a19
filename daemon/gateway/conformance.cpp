#include "daemon/gateway/conformance.hpp"

#include "daemon/gateway/session_ids.hpp"

namespace parkchat::gateway {
namespace {

EngineOptions reference_engine(std::string path, std::size_t shard) {
  EngineOptions options;
  options.path = std::move(path);
  options.shard = shard;
  options.ping_interval = std::chrono::milliseconds(300);
  options.ping_timeout = std::chrono::milliseconds(200);
  options.upgrade_timeout = std::chrono::milliseconds(1000);
  options.max_payload = 1'000'000;
  options.allowed_origins = {"*"};  // the suites' reference configuration: cors origin "*"
  return options;
}

}  // namespace

void EchoListener::on_message(EngineSession& session, std::string_view data, bool binary) {
  if (binary) {
    session.send_binary(std::string(data));
  } else {
    session.send(make_frame("4" + std::string(data)));
  }
}

void ReferenceNamespace::on_connect(SioSocket& socket, const nlohmann::json& auth) {
  socket.emit("auth", nlohmann::json::array({auth}));
}

void ReferenceNamespace::on_event(SioSocket& socket, const std::string& name, nlohmann::json& args,
                                  std::optional<std::uint64_t> ack_id) {
  if (!answers_messages_) return;
  if (name == "message") {
    socket.emit("message-back", args);
  } else if (name == "message-with-ack" && ack_id) {
    socket.ack(*ack_id, args);
  }
}

ConformanceServer::Shard::Shard(std::size_t index, EchoListener& echo, ReferenceNamespace& main, ReferenceNamespace& custom)
    : sio(SioOptions{std::chrono::milliseconds(1000), 1'000'000}),
      echo_engine(reference_engine("/engine.io/", index), echo),
      sio_engine(reference_engine("/socket.io/", index), sio),
      router({&echo_engine, &sio_engine}) {
  sio.add_namespace("/", main);
  sio.add_namespace("/custom", custom);
}

ConformanceServer::~ConformanceServer() {
  if (web_) web_->stop();
}

Result<std::unique_ptr<ConformanceServer>> ConformanceServer::start(const ConformanceOptions& options) {
  std::unique_ptr<ConformanceServer> server(new ConformanceServer());
  for (std::size_t i = 0; i < options.threads; ++i) {
    server->shards_.push_back(std::make_unique<Shard>(i, server->echo_, server->main_, server->custom_));
  }
  web::HttpServerOptions http;
  http.host = options.host;
  http.port = options.port;
  http.max_message_bytes = 1'000'000;
  // Bodies past maxPayload are read whole and refused by the engine (413).
  http.max_body_bytes = 8'000'000;
  ConformanceServer* self = server.get();
  auto web = web::HttpShards::start(
      http, options.threads, [](std::string_view target) { return session_shard(target); },
      [self](std::size_t i, web::HttpServer& listener) {
        Shard& shard = *self->shards_[i];
        shard.echo_engine.attach(listener);
        shard.sio_engine.attach(listener);
        shard.sio.attach(listener);
        web::ShardWiring wiring;
        wiring.websocket = &shard.router;
        wiring.handler = [&shard](web::HttpRequest request, web::Respond respond) {
          if (EngineServer* engine = shard.router.find(request.path)) return engine->handle_http(request, std::move(respond));
          respond({404, R"({"code":0,"message":"Transport unknown"})", "application/json", {}});
        };
        return wiring;
      });
  if (!web) return tl::unexpected(web.error());
  server->web_ = std::move(*web);
  return server;
}

}  // namespace parkchat::gateway
