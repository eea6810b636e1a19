#include "daemon/gateway/conformance.hpp"

namespace parkchat::gateway {
namespace {

EngineOptions reference_engine(std::string path) {
  EngineOptions options;
  options.path = std::move(path);
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

ConformanceServer::ConformanceServer()
    : sio_(SioOptions{std::chrono::milliseconds(1000), 1'000'000}),
      echo_engine_(reference_engine("/engine.io/"), echo_),
      sio_engine_(reference_engine("/socket.io/"), sio_),
      router_({&echo_engine_, &sio_engine_}) {
  sio_.add_namespace("/", main_);
  sio_.add_namespace("/custom", custom_);
}

ConformanceServer::~ConformanceServer() {
  if (web_) web_->stop();
}

Result<std::unique_ptr<ConformanceServer>> ConformanceServer::start(const ConformanceOptions& options) {
  std::unique_ptr<ConformanceServer> server(new ConformanceServer());
  web::HttpServerOptions http;
  http.host = options.host;
  http.port = options.port;
  http.max_message_bytes = 1'000'000;
  // Bodies past maxPayload are read whole and refused by the engine (413).
  http.max_body_bytes = 8'000'000;
  http.websocket = &server->router_;
  ConformanceServer* self = server.get();
  http.before_serving = [self](web::HttpServer& web) {
    self->echo_engine_.attach(web);
    self->sio_engine_.attach(web);
    self->sio_.attach(web);
  };
  auto web = web::HttpServer::start(http, [self](web::HttpRequest request, web::Respond respond) {
    if (EngineServer* engine = self->router_.find(request.path)) return engine->handle_http(request, std::move(respond));
    respond({404, R"({"code":0,"message":"Transport unknown"})", "application/json", {}});
  });
  if (!web) return tl::unexpected(web.error());
  server->web_ = std::move(*web);
  return server;
}

}  // namespace parkchat::gateway
