#include "daemon/web/http_server.hpp"

#include <thread>
#include <unordered_map>

#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/processors/hybi13.hpp>
#include <websocketpp/server.hpp>

#include "core/obs/log.hpp"
#include "core/proto/envelope.hpp"

namespace parkchat::web {
namespace {

// websocketpp's defaults, with a 1 KiB read buffer instead of 16 KiB: the buffer lives in every
// connection, and chat frames are small (a larger one takes a few reads), so this is the
// largest saving on the memory an idle socket costs.
// Every connection carries its id, so no lookup is needed on each message.
struct ConnectionData {
  ConnectionId connection_id = 0;
};
struct ServerConfig : websocketpp::config::asio {
  static const size_t connection_read_buffer_size = 1024;
  typedef ConnectionData connection_base;
};
using Server = websocketpp::server<ServerConfig>;

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return text;
}

HttpRequest request_of(const Server::connection_ptr& con) {
  const auto& request = con->get_request();
  HttpRequest r;
  r.method = request.get_method();
  const std::string& target = request.get_uri();
  auto question = target.find('?');
  r.path = target.substr(0, question);
  if (question != std::string::npos) r.query = target.substr(question + 1);
  r.body = request.get_body();
  for (const auto& [name, value] : request.get_headers()) r.headers[lowercase(name)] = value;
  r.remote = con->get_remote_endpoint();
  return r;
}

}  // namespace

std::string HttpRequest::header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  return it == headers.end() ? std::string() : it->second;
}

struct HttpServer::Impl {
  Server server;
  HttpHandler handler;
  WebSocketHandler* websocket = nullptr;
  std::thread thread;
  int port = 0;
  bool stopped = false;
  // Open WebSocket connections by id; the Asio thread alone touches it.
  std::unordered_map<ConnectionId, Server::connection_ptr> sockets;
  ConnectionId next_id = 1;
  // Keeps the Asio thread running once it stops accepting and the last connection is gone, so
  // that post() still works during a graceful stop.
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> keep_running;
  // Frames shared messages once for all connections (server frames are never masked, so one
  // framing fits every connection).
  using Framer = websocketpp::processor::hybi13<ServerConfig>;
  using MessageManager = ServerConfig::con_msg_manager_type;
  ServerConfig::rng_type rng;
  std::shared_ptr<MessageManager> messages = std::make_shared<MessageManager>();
  Framer framer{false, true, messages, rng};

  static ConnectionId id_of(const Server::connection_ptr& con) { return con->connection_id; }

  Server::connection_ptr find(ConnectionId id) const {
    auto it = sockets.find(id);
    return it == sockets.end() ? nullptr : it->second;
  }

  bool on_validate(websocketpp::connection_hdl hdl) {
    std::error_code ec;
    Server::connection_ptr con = server.get_con_from_hdl(hdl, ec);
    if (ec) return false;
    if (websocket == nullptr) {
      con->set_status(websocketpp::http::status_code::not_found);
      return false;
    }
    if (auto refusal = websocket->accept(request_of(con))) {
      con->set_status(static_cast<websocketpp::http::status_code::value>(refusal->status));
      con->replace_header("Content-Type", refusal->content_type);
      for (const auto& [name, value] : refusal->headers) con->replace_header(name, value);
      con->set_body(refusal->body);
      return false;
    }
    return true;
  }

  void on_open(websocketpp::connection_hdl hdl) {
    std::error_code ec;
    Server::connection_ptr con = server.get_con_from_hdl(hdl, ec);
    if (ec || websocket == nullptr) return;
    const ConnectionId id = next_id++;
    con->connection_id = id;
    sockets.emplace(id, con);
    websocket->on_open(id, request_of(con));
  }

  void on_message(websocketpp::connection_hdl hdl, Server::message_ptr message) {
    std::error_code ec;
    Server::connection_ptr con = server.get_con_from_hdl(hdl, ec);
    if (ec || websocket == nullptr) return;
    const ConnectionId id = id_of(con);
    if (id == 0) return;
    websocket->on_message(id, message->get_payload(),
                          message->get_opcode() == websocketpp::frame::opcode::binary);
  }

  void on_close(websocketpp::connection_hdl hdl) {
    std::error_code ec;
    Server::connection_ptr con = server.get_con_from_hdl(hdl, ec);
    if (ec || websocket == nullptr) return;
    const ConnectionId id = id_of(con);
    if (id == 0 || sockets.erase(id) == 0) return;
    websocket->on_close(id);
  }

  void on_http(websocketpp::connection_hdl hdl) {
    std::error_code ec;
    Server::connection_ptr con = server.get_con_from_hdl(hdl, ec);
    if (ec) return;
    HttpRequest r = request_of(con);

    // websocketpp reads no chunked body: it would reach the handler as an empty one. Say so
    // instead of answering a request other than the one sent.
    if (!r.header("transfer-encoding").empty()) {
      con->set_status(websocketpp::http::status_code::length_required);
      con->replace_header("Content-Type", "application/json");
      con->replace_header("Connection", "close");
      con->set_body(proto::error_envelope({Errc::validation, "request bodies must come with Content-Length; "
                                                             "Transfer-Encoding is not supported"})
                        .dump());
      return;
    }

    con->defer_http_response();
    // The answer may come from a nats.c thread: it is posted back to the Asio thread, which
    // alone touches websocketpp connections. A deferred connection has no pending operation to
    // keep it alive, so the callback holds it until the answer is sent.
    Respond respond = [this, con](HttpResponse response) {
      boost::asio::post(server.get_io_service(), [con, response = std::move(response)] {
        Server::connection_ptr c = con;
        c->set_status(static_cast<websocketpp::http::status_code::value>(response.status));
        c->replace_header("Content-Type", response.content_type);
        c->replace_header("Cache-Control", "no-store");
        // websocketpp ends plain HTTP connections after one response; say so, or keep-alive
        // clients reuse a dead socket.
        c->replace_header("Connection", "close");
        for (const auto& [name, value] : response.headers) c->replace_header(name, value);
        c->set_body(response.body);
        std::error_code sent;
        c->send_http_response(sent);
      });
    };
    handler(std::move(r), std::move(respond));
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::port() const { return impl_->port; }

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& options, HttpHandler handler) {
  auto impl = std::make_unique<Impl>();
  impl->handler = std::move(handler);
  Server& server = impl->server;
  const std::string where = options.host + ":" + std::to_string(options.port);
  try {
    server.clear_access_channels(websocketpp::log::alevel::all);
    server.clear_error_channels(websocketpp::log::elevel::all);
    server.init_asio();
    server.set_reuse_addr(true);
    server.set_listen_backlog(4096);
    server.set_open_handshake_timeout(static_cast<long>(options.request_timeout.count()));
    server.set_max_http_body_size(options.max_body_bytes);
    server.set_max_message_size(options.max_message_bytes);
    impl->websocket = options.websocket;
    Impl* self = impl.get();
    server.set_http_handler([self](websocketpp::connection_hdl hdl) { self->on_http(hdl); });
    server.set_validate_handler([self](websocketpp::connection_hdl hdl) { return self->on_validate(hdl); });
    server.set_open_handler([self](websocketpp::connection_hdl hdl) { self->on_open(hdl); });
    server.set_message_handler(
        [self](websocketpp::connection_hdl hdl, Server::message_ptr message) { self->on_message(hdl, message); });
    server.set_close_handler([self](websocketpp::connection_hdl hdl) { self->on_close(hdl); });
    // Chat frames are small and latency matters: no Nagle delay (40 ms with delayed ACKs).
    // (Set once accepted: the socket init handler runs before the socket is open.)
    server.set_tcp_pre_init_handler([self](websocketpp::connection_hdl hdl) {
      std::error_code ec;
      Server::connection_ptr con = self->server.get_con_from_hdl(hdl, ec);
      if (ec) return;
      boost::system::error_code ignored;
      con->get_raw_socket().set_option(boost::asio::ip::tcp::no_delay(true), ignored);
    });
    server.set_fail_handler([self](websocketpp::connection_hdl hdl) { self->on_close(hdl); });
    boost::system::error_code parse_error;
    auto address = boost::asio::ip::make_address(options.host, parse_error);
    if (parse_error) return fail(Errc::validation, "listen address " + where + ": " + parse_error.message());
    boost::asio::ip::tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
    std::error_code ec;
    server.listen(endpoint, ec);
    if (ec) return fail(Errc::unavailable, "cannot listen on " + where + ": " + ec.message());
    server.start_accept(ec);
    if (ec) return fail(Errc::unavailable, "cannot accept on " + where + ": " + ec.message());
    boost::system::error_code local_error;
    auto local = server.get_local_endpoint(local_error);
    if (local_error) return fail(Errc::unavailable, "cannot read the address of " + where + ": " + local_error.message());
    impl->port = local.port();
  } catch (const std::exception& e) {
    return fail(Errc::unavailable, "cannot listen on " + where + ": " + e.what());
  }
  impl->keep_running.emplace(boost::asio::make_work_guard(impl->server.get_io_service()));
  std::unique_ptr<HttpServer> server_object(new HttpServer(std::move(impl)));
  if (options.before_serving) options.before_serving(*server_object);
  Impl* running = server_object->impl_.get();
  running->thread = std::thread([self = running] {
    try {
      self->server.run();
    } catch (const std::exception& e) {
      obs::logger("gateway")->error("http server stopped err={}", e.what());
    }
  });
  return server_object;
}

boost::asio::io_context& HttpServer::io_context() { return impl_->server.get_io_service(); }

void HttpServer::post(std::function<void()> task) { boost::asio::post(impl_->server.get_io_service(), std::move(task)); }

bool HttpServer::send(ConnectionId id, std::string_view data, bool binary) {
  Server::connection_ptr con = impl_->find(id);
  if (!con) return false;
  auto sent = con->send(data.data(), data.size(),
                        binary ? websocketpp::frame::opcode::binary : websocketpp::frame::opcode::text);
  return !sent;
}

bool HttpServer::send(ConnectionId id, const SharedText& text) {
  Server::connection_ptr con = impl_->find(id);
  if (!con) return false;
  if (!text.framed_) {
    auto in = impl_->messages->get_message(websocketpp::frame::opcode::text, text.text().size());
    in->set_payload(text.text());
    auto out = impl_->messages->get_message();
    if (impl_->framer.prepare_data_frame(in, out)) return false;  // not UTF-8: never sent
    text.framed_ = out;
  }
  return !con->send(std::static_pointer_cast<ServerConfig::message_type>(text.framed_));
}

std::size_t HttpServer::buffered_bytes(ConnectionId id) const {
  Server::connection_ptr con = impl_->find(id);
  return con ? con->get_buffered_amount() : 0;
}

void HttpServer::close(ConnectionId id, std::uint16_t code, const std::string& reason) {
  Server::connection_ptr con = impl_->find(id);
  if (!con) return;
  std::error_code ec;
  con->close(code, reason, ec);
  if (ec) {
    // Not open (already closing): end the transport at once.
    con->terminate(ec);
  }
}

std::size_t HttpServer::websocket_count() const { return impl_->sockets.size(); }

void HttpServer::stop_accepting() {
  boost::asio::post(impl_->server.get_io_service(), [impl = impl_.get()] {
    std::error_code ec;
    if (impl->server.is_listening()) impl->server.stop_listening(ec);
  });
}

void HttpServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  boost::asio::post(impl_->server.get_io_service(), [impl = impl_.get()] {
    std::error_code ec;
    if (impl->server.is_listening()) impl->server.stop_listening(ec);
    impl->sockets.clear();
    impl->server.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
}

Result<std::pair<std::string, int>> parse_listen_address(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return fail(Errc::validation, "listen address '" + text + "': expected host:port");
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = text.substr(colon + 1);
  if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5 ||
      std::stoi(port_text) > 65535) {
    return fail(Errc::validation, "listen address '" + text + "': bad port");
  }
  return std::make_pair(host, std::stoi(port_text));
}

}  // namespace parkchat::web
