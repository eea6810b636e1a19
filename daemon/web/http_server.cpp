#include "daemon/web/http_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <thread>
#include <unordered_map>

#include <websocketpp/concurrency/none.hpp>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/processors/hybi13.hpp>
#include <websocketpp/server.hpp>

#include "core/obs/log.hpp"
#include "core/proto/envelope.hpp"

namespace parkchat::web {
namespace {

// websocketpp's defaults, with a 512-byte read buffer instead of 16 KiB: the buffer lives in
// every connection, and chat frames are small (a new_message frame is about 300 bytes; a larger
// one takes a few reads), so this is the largest saving on the memory an idle socket costs.
// Every connection carries its id, so no lookup is needed on each message.
// One thread runs each endpoint and all its connections, so websocketpp needs neither its
// strands nor the mutex it otherwise takes on every send.
struct ConnectionData {
  ConnectionId connection_id = 0;
};
struct ServerConfig : websocketpp::config::asio {
  typedef ServerConfig type;
  typedef websocketpp::concurrency::none concurrency_type;
  typedef websocketpp::log::basic<concurrency_type, websocketpp::log::elevel> elog_type;
  typedef websocketpp::log::basic<concurrency_type, websocketpp::log::alevel> alog_type;
  struct transport_config : websocketpp::config::asio::transport_config {
    typedef type::concurrency_type concurrency_type;
    typedef type::alog_type alog_type;
    typedef type::elog_type elog_type;
    static const bool enable_multithreading = false;
  };
  typedef websocketpp::transport::asio::endpoint<transport_config> transport_type;
  static const size_t connection_read_buffer_size = 512;
  typedef ConnectionData connection_base;
};
using Server = websocketpp::server<ServerConfig>;
using boost::asio::ip::tcp;

// Frames shared messages for every connection of every shard (server frames are never masked,
// so one framing fits all); one framer per thread that makes frames.
struct Framer {
  using Processor = websocketpp::processor::hybi13<ServerConfig>;
  using MessageManager = ServerConfig::con_msg_manager_type;
  ServerConfig::rng_type rng;
  std::shared_ptr<MessageManager> messages = std::make_shared<MessageManager>();
  Processor processor{false, true, messages, rng};

  static Framer& of_this_thread() {
    thread_local Framer framer;
    return framer;
  }
};

// A file descriptor on its way from one shard's thread to another's: closed unless adopted.
struct HandedFd {
  explicit HandedFd(int value) : fd(value) {}
  HandedFd(const HandedFd&) = delete;
  HandedFd& operator=(const HandedFd&) = delete;
  ~HandedFd() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
  int fd;
};

// The first bytes of a connection, read without consuming them, until the request line is
// whole (or the buffer full: the target is then routed on what it holds).
struct PeekedConnection {
  PeekedConnection(tcp::socket s, boost::asio::io_context& io) : socket(std::move(s)), retry(io) {}
  tcp::socket socket;
  boost::asio::steady_timer retry;
  std::chrono::steady_clock::time_point deadline;
  std::chrono::milliseconds backoff{1};
  std::array<char, 4096> bytes{};
};

// Whether an accepted socket is IPv6, to open its descriptor again as the same protocol; nullopt
// when it is gone already (the throwing overload would end the shard's thread).
std::optional<bool> is_v6(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto local = socket.local_endpoint(ec);
  if (ec) return std::nullopt;
  return local.address().is_v6();
}

// The target of "METHOD target HTTP/1.1", possibly cut short; empty when there is none yet.
std::string_view request_target(std::string_view head) {
  auto space = head.find(' ');
  if (space == std::string_view::npos) return {};
  head.remove_prefix(space + 1);
  return head.substr(0, head.find_first_of(" \r\n"));
}

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

SharedText::SharedText(std::string text) : text_(std::move(text)) {
  Framer& framer = Framer::of_this_thread();
  auto in = framer.messages->get_message(websocketpp::frame::opcode::text, text_.size());
  in->set_payload(text_);
  auto out = framer.messages->get_message();
  if (!framer.processor.prepare_data_frame(in, out)) framed_ = out;  // else not UTF-8: never sent
}

struct HttpServer::Impl {
  Server server;
  HttpHandler handler;
  WebSocketHandler* websocket = nullptr;
  std::thread thread;
  int port = 0;
  std::atomic<bool> stopped{false};
  std::optional<tcp::acceptor> acceptor;
  std::optional<boost::asio::steady_timer> accept_pause;
  // Accepts since the accept loop last yielded to the rest of the queue.
  static constexpr int kAcceptsPerTurn = 16;
  int accepted_in_turn = 0;
  std::chrono::milliseconds request_timeout{10000};
  // The shards of one port, this one among them; empty for a server alone.
  std::vector<Impl*> peers;
  std::size_t index = 0;
  ConnectionRoute route;
  // Open WebSocket connections by id; the Asio thread alone touches it.
  std::unordered_map<ConnectionId, Server::connection_ptr> sockets;
  ConnectionId next_id = 1;
  // Keeps the Asio thread running once it stops accepting and the last connection is gone, so
  // that post() still works during a graceful stop.
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> keep_running;
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
    HttpRequest request = request_of(con);
    // websocketpp keeps the handshake's request and response, every header of both, for the
    // life of the connection, and a server connection never reads them once it is open: about
    // 1 KiB of each idle socket. They are emptied here, through the accessors websocketpp gives.
    const_cast<Server::connection_type::request_type&>(con->get_request()) = {};
    const_cast<Server::connection_type::response_type&>(con->get_response()) = {};
    websocket->on_open(id, request);
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

  // --- accepting ---

  void accept_next() {
    if (!acceptor || !acceptor->is_open()) return;
    acceptor->async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec == boost::asio::error::operation_aborted || !acceptor || !acceptor->is_open()) return;
      if (ec) {
        // Out of descriptors, most likely: accepting again at once would spin.
        obs::logger("gateway")->warn("accept failed port={} err={}", port, ec.message());
        accept_pause->expires_after(std::chrono::milliseconds(50));
        accept_pause->async_wait([this](const boost::system::error_code& waited) {
          if (!waited) accept_next();
        });
        return;
      }
      if (peers.size() <= 1) {
        adopt(std::move(socket));
      } else {
        auto peeked = std::make_shared<PeekedConnection>(std::move(socket), server.get_io_service());
        peeked->deadline = std::chrono::steady_clock::now() + request_timeout;
        peek(std::move(peeked));
      }
      // A storm of new connections must not delay the messages of connected ones: after a few
      // accepts the next waits behind whatever is queued now (deliveries among it), so each turn
      // of the loop takes on a bounded share of handshake work and the kernel's backlog holds
      // the rest. Idle connections that never finish their handshake hold no slot.
      if (++accepted_in_turn < kAcceptsPerTurn) return accept_next();
      accepted_in_turn = 0;
      boost::asio::post(server.get_io_service(), [this] { accept_next(); });
    });
  }

  void peek(std::shared_ptr<PeekedConnection> c) {
    PeekedConnection& ref = *c;
    ref.socket.async_receive(boost::asio::buffer(ref.bytes), tcp::socket::message_peek,
                             [this, c = std::move(c)](const boost::system::error_code& ec, std::size_t n) mutable {
                               if (ec) return;  // gone before its first line
                               const std::string_view head(c->bytes.data(), n);
                               const bool whole = head.find('\n') != std::string_view::npos || n == c->bytes.size();
                               if (!whole) {
                                 // A peek returns at once while bytes wait, so wait a little for more.
                                 if (std::chrono::steady_clock::now() > c->deadline) return;
                                 c->retry.expires_after(c->backoff);
                                 c->backoff = std::min(c->backoff * 2, std::chrono::milliseconds(50));
                                 PeekedConnection& again = *c;
                                 again.retry.async_wait([this, c = std::move(c)](const boost::system::error_code& waited) mutable {
                                   if (!waited) peek(std::move(c));
                                 });
                                 return;
                               }
                               const std::size_t owner = route ? route(request_target(head)).value_or(index) : index;
                               if (owner == index || owner >= peers.size()) return adopt(std::move(c->socket));
                               const auto v6 = is_v6(c->socket);
                               if (!v6) return;  // reset meanwhile
                               boost::system::error_code released;
                               auto fd = std::make_shared<HandedFd>(c->socket.release(released));
                               if (released) return;
                               peers[owner]->post_adopt(std::move(fd), *v6);
                             });
  }

  void post_adopt(std::shared_ptr<HandedFd> fd, bool v6) {
    boost::asio::post(server.get_io_service(), [this, fd = std::move(fd), v6] {
      if (stopped) return;
      tcp::socket socket(server.get_io_service());
      boost::system::error_code ec;
      socket.assign(v6 ? tcp::v6() : tcp::v4(), fd->fd, ec);
      if (ec) return;
      fd->release();
      adopt(std::move(socket));
    });
  }

  // Gives an accepted socket to websocketpp, as its own accept loop would.
  void adopt(tcp::socket socket) {
    const auto v6 = is_v6(socket);
    if (!v6) return;  // reset meanwhile: closed with `socket`
    Server::connection_ptr con = server.get_connection();
    if (!con) return;
    boost::system::error_code ec;
    const int fd = socket.release(ec);
    if (!ec) con->get_raw_socket().assign(*v6 ? tcp::v6() : tcp::v4(), fd, ec);
    if (ec) {
      if (fd >= 0) ::close(fd);
      con->terminate(std::error_code());
      return;
    }
    con->start();
  }

  void close_acceptor() {
    if (!acceptor) return;
    boost::system::error_code ignored;
    acceptor->close(ignored);
    if (accept_pause) accept_pause->cancel();
  }
};

namespace {

// Binds `acceptor` to `endpoint`; with `share`, SO_REUSEPORT lets the other shards bind it too.
Result<void> bind_acceptor(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, bool share, const std::string& where) {
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && share) {
    acceptor.set_option(boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
  }
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(4096, ec);
  if (ec) return fail(Errc::unavailable, "cannot listen on " + where + ": " + ec.message());
  return {};
}

// Whether another socket holds the port: a socket without SO_REUSEPORT cannot bind it then,
// also when that other one was bound with SO_REUSEPORT.
Result<void> check_port_free(const tcp::endpoint& endpoint, const std::string& where) {
  boost::asio::io_context io;
  tcp::acceptor probe(io);
  return bind_acceptor(probe, endpoint, /*share=*/false, where);  // closed on return
}

}  // namespace

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::port() const { return impl_->port; }

namespace {

// A websocketpp endpoint set up as `serve` wants it, not yet listening.
Result<std::unique_ptr<HttpServer::Impl>> configure(const HttpServerOptions& options, HttpHandler handler,
                                                    WebSocketHandler* websocket) {
  auto impl = std::make_unique<HttpServer::Impl>();
  impl->handler = std::move(handler);
  impl->websocket = websocket;
  impl->request_timeout = options.request_timeout;
  Server& server = impl->server;
  try {
    server.clear_access_channels(websocketpp::log::alevel::all);
    server.clear_error_channels(websocketpp::log::elevel::all);
    server.init_asio();
    server.set_open_handshake_timeout(static_cast<long>(options.request_timeout.count()));
    server.set_max_http_body_size(options.max_body_bytes);
    server.set_max_message_size(options.max_message_bytes);
    HttpServer::Impl* self = impl.get();
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
      con->get_raw_socket().set_option(tcp::no_delay(true), ignored);
    });
    server.set_fail_handler([self](websocketpp::connection_hdl hdl) { self->on_close(hdl); });
  } catch (const std::exception& e) {
    return fail(Errc::unavailable, std::string("cannot set up the HTTP server: ") + e.what());
  }
  impl->acceptor.emplace(server.get_io_service());
  impl->accept_pause.emplace(server.get_io_service());
  return impl;
}

Result<tcp::endpoint> endpoint_of(const HttpServerOptions& options, const std::string& where) {
  boost::system::error_code parse_error;
  auto address = boost::asio::ip::make_address(options.host, parse_error);
  if (parse_error) return fail(Errc::validation, "listen address " + where + ": " + parse_error.message());
  return tcp::endpoint(address, static_cast<unsigned short>(options.port));
}

}  // namespace

void HttpServer::serve() {
  impl_->keep_running.emplace(boost::asio::make_work_guard(impl_->server.get_io_service()));
  impl_->accept_next();
  impl_->thread = std::thread([self = impl_.get()] {
    try {
      self->server.run();
    } catch (const std::exception& e) {
      obs::logger("gateway")->error("http server stopped err={}", e.what());
    }
  });
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& options, HttpHandler handler) {
  const std::string where = options.host + ":" + std::to_string(options.port);
  auto endpoint = endpoint_of(options, where);
  if (!endpoint) return tl::unexpected(endpoint.error());
  auto impl = configure(options, std::move(handler), options.websocket);
  if (!impl) return tl::unexpected(impl.error());
  if (auto bound = bind_acceptor(*(*impl)->acceptor, *endpoint, false, where); !bound) return tl::unexpected(bound.error());
  (*impl)->port = (*impl)->acceptor->local_endpoint().port();
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(*impl)));
  if (options.before_serving) options.before_serving(*server);
  server->serve();
  return server;
}

Result<std::unique_ptr<HttpShards>> HttpShards::start(const HttpServerOptions& options, std::size_t count,
                                                      ConnectionRoute route,
                                                      const std::function<ShardWiring(std::size_t, HttpServer&)>& wire) {
  if (count == 0) return fail(Errc::validation, "a listener needs at least one shard");
  const std::string where = options.host + ":" + std::to_string(options.port);
  auto endpoint = endpoint_of(options, where);
  if (!endpoint) return tl::unexpected(endpoint.error());
  if (options.port != 0) {
    if (auto free = check_port_free(*endpoint, where); !free) return tl::unexpected(free.error());
  }
  std::unique_ptr<HttpShards> shards(new HttpShards());
  std::vector<HttpServer::Impl*> peers;
  for (std::size_t i = 0; i < count; ++i) {
    auto impl = configure(options, nullptr, nullptr);
    if (!impl) return tl::unexpected(impl.error());
    // The first shard picks the port when any will do; the others bind that one.
    tcp::endpoint bind_to = *endpoint;
    if (i > 0) bind_to.port(static_cast<unsigned short>(shards->port()));
    if (auto bound = bind_acceptor(*(*impl)->acceptor, bind_to, true, where); !bound) return tl::unexpected(bound.error());
    (*impl)->port = (*impl)->acceptor->local_endpoint().port();
    (*impl)->index = i;
    (*impl)->route = route;
    peers.push_back(impl->get());
    shards->shards_.push_back(std::unique_ptr<HttpServer>(new HttpServer(std::move(*impl))));
  }
  for (std::size_t i = 0; i < count; ++i) {
    HttpServer& shard = *shards->shards_[i];
    shard.impl_->peers = peers;
    ShardWiring wiring = wire(i, shard);
    shard.impl_->handler = std::move(wiring.handler);
    shard.impl_->websocket = wiring.websocket;
  }
  for (auto& shard : shards->shards_) shard->serve();
  return shards;
}

HttpShards::~HttpShards() { stop(); }

int HttpShards::port() const { return shards_.empty() ? 0 : shards_.front()->port(); }

void HttpShards::stop_accepting() {
  for (auto& shard : shards_) shard->stop_accepting();
}

void HttpShards::stop() {
  // Every thread joined before any shard goes: a running shard may still hand a connection to
  // a stopped one, which then closes it, but never to one destroyed.
  for (auto& shard : shards_) shard->stop();
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
  if (!con || !text.framed_) return false;
  // websocketpp queues a prepared message as it is and only reads it: shared by every shard.
  auto framed = std::const_pointer_cast<ServerConfig::message_type>(
      std::static_pointer_cast<const ServerConfig::message_type>(text.framed_));
  return !con->send(framed);
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
  boost::asio::post(impl_->server.get_io_service(), [impl = impl_.get()] { impl->close_acceptor(); });
}

void HttpServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  boost::asio::post(impl_->server.get_io_service(), [impl = impl_.get()] {
    impl->close_acceptor();
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
