#include "daemon/web/http_server.hpp"

#include <thread>

#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

#include "core/obs/log.hpp"

namespace parkchat::web {
namespace {

using Server = websocketpp::server<websocketpp::config::asio>;

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return text;
}

}  // namespace

std::string HttpRequest::header(const std::string& lowercase_name) const {
  auto it = headers.find(lowercase_name);
  return it == headers.end() ? std::string() : it->second;
}

struct HttpServer::Impl {
  Server server;
  HttpHandler handler;
  std::thread thread;
  int port = 0;
  bool stopped = false;

  void on_http(websocketpp::connection_hdl hdl) {
    std::error_code ec;
    Server::connection_ptr con = server.get_con_from_hdl(hdl, ec);
    if (ec) return;
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
    Impl* self = impl.get();
    server.set_http_handler([self](websocketpp::connection_hdl hdl) { self->on_http(hdl); });
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
  impl->thread = std::thread([self = impl.get()] {
    try {
      self->server.run();
    } catch (const std::exception& e) {
      obs::logger("gateway")->error("http server stopped err={}", e.what());
    }
  });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  std::error_code ec;
  impl_->server.stop_listening(ec);
  impl_->server.stop();
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
