#include "daemon/gateway/engine_server.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "core/base/encoding.hpp"
#include "core/proto/engineio.hpp"
#include "daemon/gateway/session_ids.hpp"
#include "daemon/web/query_string.hpp"

namespace parkchat::gateway {
namespace {

using proto::EioPacket;
using proto::EioType;

// The handshake errors of the protocol: HTTP 400 (403 for a refused Origin) with a JSON body.
enum class HandshakeError { unknown_transport = 0, unknown_sid = 1, bad_handshake_method = 2, bad_request = 3, forbidden = 4, unsupported_protocol_version = 5 };

web::HttpResponse handshake_error(HandshakeError error) {
  static const char* const kMessages[] = {"Transport unknown", "Session ID unknown", "Bad handshake method",
                                          "Bad request",       "Forbidden",          "Unsupported protocol version"};
  const int code = static_cast<int>(error);
  nlohmann::json body = {{"code", code}, {"message", kMessages[code]}};
  return {error == HandshakeError::forbidden ? 403 : 400, body.dump(), "application/json", {}};
}

web::HttpResponse text_response(std::string body, const char* content_type) {
  return {200, std::move(body), content_type, {}};
}

constexpr const char* kPollContentType = "text/plain; charset=UTF-8";

}  // namespace

Frame make_frame(std::string packet) { return std::make_shared<const web::SharedText>(std::move(packet)); }

// One client's session. The server's maps own it; timers and deferred flushes hold weak
// references, so a closed session is never touched again.
class EngineServer::Session : public EngineSession, public std::enable_shared_from_this<Session> {
 public:
  Session(EngineServer& server, std::string id, web::HttpRequest handshake, bool websocket)
      : server_(server),
        id_(std::move(id)),
        handshake_(std::move(handshake)),
        websocket_(websocket),
        timer_(server.web_->io_context()) {
    // Kept for the session's life: only what the layers above read (the query); headers and
    // body would cost every idle connection a kilobyte or more.
    handshake_.headers.clear();
    handshake_.body.clear();
    handshake_.body.shrink_to_fit();
  }

  const std::string& id() const override { return id_; }
  const web::HttpRequest& handshake() const override { return handshake_; }
  bool is_open() const override { return !closed_; }

  void send(const Frame& frame) override {
    if (closed_ || closing_) return;
    if (websocket_) {
      server_.web_->send(ws_, *frame);
      check_buffered(server_.web_->buffered_bytes(ws_));
      return;
    }
    outbox_bytes_ += frame->text().size() + 1;
    outbox_.push_back(Outgoing{frame, {}});
    after_queue();
  }

  void send_binary(std::string bytes) override {
    if (closed_ || closing_) return;
    if (websocket_) {
      server_.web_->send(ws_, bytes, true);
      check_buffered(server_.web_->buffered_bytes(ws_));
      return;
    }
    outbox_bytes_ += bytes.size() * 4 / 3 + 3;
    outbox_.push_back(Outgoing{nullptr, std::move(bytes)});
    after_queue();
  }

  void close(std::string_view reason) override { end(reason, true); }

  // --- driven by the server ---

  void start_heartbeat() { schedule_ping(); }

  // A polling GET: answered at once when output waits, else held until some does.
  void poll(web::Respond respond) {
    if (pending_poll_) {
      // Two polls at once: the client is broken. The reference server closes the session;
      // the held poll learns it from a close packet, the second gets an error.
      respond(server_.refused(static_cast<int>(HandshakeError::bad_request)));
      end("transport error: overlapping polls", true);
      return;
    }
    pending_poll_ = std::move(respond);
    // Mid-upgrade, polls are not held: the client pauses polling once its probe is answered, and
    // what comes after goes over the WebSocket. What already waits still goes now (a ping among
    // it: until "5", polling carries the heartbeat).
    if (!outbox_.empty()) return flush_poll();
    if (probe_answered()) respond_poll("6");
  }

  // A polling POST: the client's packets.
  void receive_payload(const std::string& body, const web::Respond& respond) {
    if (body.size() > server_.options_.max_payload) {
      respond({413, "", "text/html", {}});
      end("transport error: payload too large", false);
      return;
    }
    auto packets = proto::decode_eio_payload(body);
    if (!packets) {
      respond(server_.refused(static_cast<int>(HandshakeError::bad_request)));
      end("parse error", false);
      return;
    }
    respond(text_response("ok", "text/html"));
    auto self = shared_from_this();
    for (auto& packet : *packets) {
      if (closed_) break;
      on_packet(std::move(packet));
    }
  }

  // A packet from the active transport.
  void on_packet(EioPacket packet) {
    switch (packet.type) {
      case EioType::pong:
        awaiting_pong_ = false;
        schedule_ping();
        break;
      case EioType::message:
        server_.listener_.on_message(*this, packet.data, packet.binary);
        break;
      case EioType::close:
        end("transport close", false);
        break;
      case EioType::ping:
        // Protocol 4: only the server pings (probes travel on the upgrading WebSocket).
        end("invalid heartbeat direction", true);
        break;
      case EioType::noop:
        break;
      case EioType::open:
      case EioType::upgrade:
        end("parse error", true);
        break;
    }
  }

  // A frame on a WebSocket of this session: the active one or the upgrade probe.
  void on_ws_frame(web::ConnectionId connection, std::string_view data, bool binary) {
    if (connection == probe_ws()) {
      on_probe_frame(data, binary);
      return;
    }
    if (connection != ws_ || !websocket_) return;
    if (binary) {
      on_packet(EioPacket{EioType::message, std::string(data), true});
      return;
    }
    auto packet = proto::decode_eio_text(data);
    if (!packet) {
      end("parse error", true);
      return;
    }
    on_packet(std::move(*packet));
  }

  void on_ws_closed(web::ConnectionId connection) {
    if (connection == probe_ws()) {
      probe_.reset();  // the upgrade failed; the session goes on over its transport
      return;
    }
    if (connection == ws_) {
      ws_ = 0;
      end("transport close", false);
    }
  }

  // A WebSocket opened with this session's id. As in the reference server, one upgrade at a
  // time and one in a session's life: a session opened over WebSocket may still be upgraded
  // once, to another WebSocket that then replaces the first. The probe has upgrade_timeout to
  // send "5".
  bool begin_upgrade(web::ConnectionId connection) {
    if (upgraded_ || probe_ || closed_) return false;
    probe_ = std::make_unique<Probe>(server_.web_->io_context(), connection);
    probe_->timer.expires_after(server_.options_.upgrade_timeout);
    probe_->timer.async_wait([weak = weak_from_this(), connection](const boost::system::error_code& ec) {
      auto self = weak.lock();
      // A completion already queued still runs after the probe is gone: the id tells whether
      // this probe is still the one in progress.
      if (ec || !self || self->closed_ || self->probe_ws() != connection) return;
      self->drop_probe();
    });
    return true;
  }

  void use_websocket(web::ConnectionId connection) { ws_ = connection; }
  web::ConnectionId ws() const { return ws_; }
  web::ConnectionId probe_ws() const { return probe_ ? probe_->ws : 0; }
  bool polling() const { return !websocket_; }

 private:
  struct Outgoing {
    Frame text;          // a text packet, or
    std::string binary;  // a binary message (when text is null)
  };

  // An upgrade in progress: allocated only while it lasts, as idle sessions should cost little.
  struct Probe {
    Probe(boost::asio::io_context& io, web::ConnectionId connection) : ws(connection), timer(io) {}
    web::ConnectionId ws;
    bool answered = false;  // "2probe" was answered; waiting for "5"
    boost::asio::steady_timer timer;  // upgrade_timeout
  };

  bool probe_answered() const { return probe_ && probe_->answered; }

  // Ends an upgrade that will not complete: the probe WebSocket gets an empty close frame, as
  // the reference server sends, and whatever it sent is dropped; the session goes on over its
  // transport.
  void drop_probe() {
    const web::ConnectionId connection = probe_->ws;
    probe_.reset();
    server_.by_connection_.erase(connection);
    server_.web_->close(connection, web::kCloseNoStatus, "");
  }

  void on_probe_frame(std::string_view data, bool binary) {
    if (!binary && data == "2probe") {
      probe_->answered = true;
      server_.web_->send(probe_->ws, "3probe", false);
      // The client pauses polling before it upgrades: release its held poll.
      if (pending_poll_) respond_poll("6");
      return;
    }
    if (!binary && data == "5") {
      const web::ConnectionId upgraded = probe_->ws;
      probe_.reset();
      upgraded_ = true;
      if (websocket_) {
        // A second WebSocket took the session over: the first one is closed, with an empty
        // close frame as in the reference server, and is this session's no more.
        server_.by_connection_.erase(ws_);
        server_.web_->close(ws_, web::kCloseNoStatus, "");
      }
      websocket_ = true;
      ws_ = upgraded;
      if (pending_poll_) respond_poll("6");
      std::vector<Outgoing> queued;
      queued.swap(outbox_);
      outbox_bytes_ = 0;
      for (auto& out : queued) {
        if (out.text) {
          send(out.text);
        } else {
          send_binary(std::move(out.binary));
        }
      }
      // A ping sent over the old transport may never have reached the client (a replaced
      // WebSocket): the heartbeat starts again over the new one instead of timing out.
      if (awaiting_pong_ && !closed_) {
        awaiting_pong_ = false;
        schedule_ping();
      }
      return;
    }
    // Anything else during the upgrade: drop the probe, as the reference server does.
    drop_probe();
  }

  void check_buffered(std::size_t bytes) {
    if (bytes > server_.options_.max_buffered_bytes) close_soon("output buffer full");
  }

  // Closing from inside a send would pull the session from under whoever is sending (a loop
  // over a room's sockets, an ack followed by an event): output stops now, the close follows
  // on the next turn of the loop.
  void close_soon(const char* reason) {
    if (closed_ || closing_) return;
    closing_ = true;
    if (server_.options_.slow_readers != nullptr) server_.options_.slow_readers->add();
    outbox_.clear();
    outbox_bytes_ = 0;
    boost::asio::post(server_.web_->io_context(), [weak = weak_from_this(), reason] {
      if (auto self = weak.lock()) self->end(reason, false);
    });
  }

  void after_queue() {
    if (outbox_bytes_ > server_.options_.max_buffered_bytes) {
      close_soon("output buffer full");
      return;
    }
    if (!pending_poll_ || flush_scheduled_ || probe_answered()) return;
    // Packets sent in one go leave in one response.
    flush_scheduled_ = true;
    boost::asio::post(server_.web_->io_context(), [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->flush_scheduled_ = false;
        if (!self->closed_ && self->pending_poll_ && !self->outbox_.empty()) self->flush_poll();
      }
    });
  }

  void flush_poll() {
    std::string body;
    body.reserve(outbox_bytes_);
    for (const auto& out : outbox_) {
      if (!body.empty()) body += proto::kRecordSeparator;
      if (out.text) {
        body += out.text->text();
      } else {
        body += 'b';
        body += base64_encode(out.binary);
      }
    }
    outbox_.clear();
    outbox_bytes_ = 0;
    respond_poll(std::move(body));
  }

  void respond_poll(std::string body) {
    web::Respond respond = std::move(*pending_poll_);
    pending_poll_.reset();
    respond(text_response(std::move(body), kPollContentType));
  }

  void schedule_ping() {
    timer_.expires_after(server_.options_.ping_interval);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->closed_) return;
      self->awaiting_pong_ = true;
      self->send(make_frame("2"));
      if (self->closed_) return;
      self->timer_.expires_after(self->server_.options_.ping_timeout);
      self->timer_.async_wait([weak](const boost::system::error_code& timeout_ec) {
        auto session = weak.lock();
        if (timeout_ec || !session || session->closed_ || !session->awaiting_pong_) return;
        session->end("ping timeout", false);
      });
    });
  }

  // Ends the session once. `tell_client`: a close packet goes to a held poll (a WebSocket is
  // simply closed, which the client understands the same way).
  void end(std::string_view reason, bool tell_client) {
    if (closed_) return;
    closed_ = true;
    auto keep = shared_from_this();
    timer_.cancel();
    if (pending_poll_) {
      if (tell_client) {
        respond_poll("1");
      } else {
        respond_poll("6");
      }
    }
    if (ws_ != 0) server_.web_->close(ws_, 1000, std::string(reason));
    if (probe_) server_.web_->close(probe_->ws, 1000, std::string(reason));
    outbox_.clear();
    server_.forget(*this);
    probe_.reset();
    server_.listener_.on_close(*this, reason);
  }

  EngineServer& server_;
  std::string id_;
  web::HttpRequest handshake_;
  bool websocket_;
  bool closed_ = false;
  bool closing_ = false;  // output refused; the close is on its way
  bool awaiting_pong_ = false;
  bool flush_scheduled_ = false;
  bool upgraded_ = false;  // the one upgrade of the session's life is done
  web::ConnectionId ws_ = 0;
  std::unique_ptr<Probe> probe_;
  std::optional<web::Respond> pending_poll_;
  std::vector<Outgoing> outbox_;  // polling only (a deque would cost every session 600 bytes)
  std::size_t outbox_bytes_ = 0;
  boost::asio::steady_timer timer_;
};

EngineServer::EngineServer(EngineOptions options, EngineListener& listener)
    : options_(std::move(options)), listener_(listener) {}

EngineServer::~EngineServer() = default;

void EngineServer::attach(web::HttpServer& web) { web_ = &web; }

namespace {

bool origin_allowed(const std::vector<std::string>& allowed, const web::HttpRequest& request) {
  if (allowed.empty()) return true;
  const std::string origin = request.header("origin");
  if (origin.empty()) return true;  // not a browser
  return std::find(allowed.begin(), allowed.end(), origin) != allowed.end() ||
         std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
}

std::string query_value(const std::map<std::string, std::string>& query, const char* name) {
  auto it = query.find(name);
  return it == query.end() ? std::string() : it->second;
}

std::vector<std::pair<std::string, std::string>> cors_headers(const std::vector<std::string>& allowed,
                                                               const web::HttpRequest& request) {
  const std::string origin = request.header("origin");
  if (allowed.empty() || origin.empty()) return {};
  const bool any = std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Access-Control-Allow-Origin", any ? "*" : origin},
      {"Access-Control-Allow-Methods", "GET, POST, OPTIONS"}};
  if (!any) {
    headers.emplace_back("Vary", "Origin");
    headers.emplace_back("Access-Control-Allow-Credentials", "true");
  }
  const std::string requested = request.header("access-control-request-headers");
  if (!requested.empty()) headers.emplace_back("Access-Control-Allow-Headers", requested);
  return headers;
}

std::string open_packet(const std::string& sid, bool can_upgrade, const EngineOptions& options) {
  nlohmann::json open = {{"sid", sid},
                         {"upgrades", can_upgrade ? nlohmann::json::array({"websocket"}) : nlohmann::json::array()},
                         {"pingInterval", options.ping_interval.count()},
                         {"pingTimeout", options.ping_timeout.count()},
                         {"maxPayload", options.max_payload}};
  return "0" + open.dump();
}

}  // namespace

std::shared_ptr<EngineServer::Session> EngineServer::open_session(const web::HttpRequest& request, bool websocket) {
  std::string sid = new_session_id(options_.shard);
  auto session = std::make_shared<Session>(*this, sid, request, websocket);
  sessions_.emplace(std::move(sid), session);
  return session;
}

void EngineServer::forget(Session& session) {
  if (session.ws() != 0) by_connection_.erase(session.ws());
  if (session.probe_ws() != 0) by_connection_.erase(session.probe_ws());
  sessions_.erase(session.id());
}

void EngineServer::handle_http(const web::HttpRequest& request, web::Respond respond) {
  if (!origin_allowed(options_.allowed_origins, request)) return respond(refused(static_cast<int>(HandshakeError::forbidden)));
  // Browsers on an allowed Origin read polling responses only with CORS headers.
  auto cors = cors_headers(options_.allowed_origins, request);
  if (!cors.empty()) {
    respond = [respond = std::move(respond), cors](web::HttpResponse response) {
      response.headers.insert(response.headers.end(), cors.begin(), cors.end());
      respond(std::move(response));
    };
  }
  if (request.method == "OPTIONS") return respond({204, "", "text/plain", {}});
  const auto query = web::parse_query(request.query);
  auto value = [&query](const char* name) { return query_value(query, name); };
  const std::string transport = value("transport");
  if (transport != "polling" && transport != "websocket") {
    return respond(refused(static_cast<int>(HandshakeError::unknown_transport)));
  }
  const std::string sid = value("sid");
  if (sid.empty()) {
    if (request.method != "GET") return respond(refused(static_cast<int>(HandshakeError::bad_handshake_method)));
    if (value("EIO") != "4") return respond(refused(static_cast<int>(HandshakeError::unsupported_protocol_version)));
    // A WebSocket handshake arrives as an upgrade, never as a plain request.
    if (transport != "polling") return respond(refused(static_cast<int>(HandshakeError::bad_request)));
    auto session = open_session(request, false);
    respond(text_response(open_packet(session->id(), true, options_), kPollContentType));
    listener_.on_open(*session);
    if (session->is_open()) session->start_heartbeat();
    return;
  }
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) return respond(refused(static_cast<int>(HandshakeError::unknown_sid)));
  auto session = it->second;
  if (transport != "polling" || !session->polling()) return respond(refused(static_cast<int>(HandshakeError::bad_request)));
  if (request.method == "GET") {
    session->poll(std::move(respond));
  } else if (request.method == "POST") {
    session->receive_payload(request.body, respond);
  } else {
    respond(refused(static_cast<int>(HandshakeError::bad_request)));
  }
}

std::optional<web::HttpResponse> EngineServer::accept(const web::HttpRequest& request) {
  if (!origin_allowed(options_.allowed_origins, request)) return refused(static_cast<int>(HandshakeError::forbidden));
  const auto query = web::parse_query(request.query);
  auto value = [&query](const char* name) { return query_value(query, name); };
  if (value("transport") != "websocket") return refused(static_cast<int>(HandshakeError::unknown_transport));
  const std::string sid = value("sid");
  if (sid.empty()) {
    if (value("EIO") != "4") return refused(static_cast<int>(HandshakeError::unsupported_protocol_version));
    return std::nullopt;
  }
  if (sessions_.count(sid) == 0) return refused(static_cast<int>(HandshakeError::unknown_sid));
  if (value("EIO") != "4") return refused(static_cast<int>(HandshakeError::bad_request));  // not the session's protocol
  // Whether the session can take this WebSocket is decided once it is open: the reference server
  // completes every upgrade it does not refuse here, then closes what it cannot use.
  return std::nullopt;
}

void EngineServer::on_ws_open(web::ConnectionId id, const web::HttpRequest& request) {
  const std::string sid = query_value(web::parse_query(request.query), "sid");
  if (!sid.empty()) {
    auto it = sessions_.find(sid);
    // Gone since accept(), upgraded already, or another upgrade in progress: an empty close
    // frame and nothing before it, as from the reference server; the session is untouched.
    if (it == sessions_.end() || !it->second->begin_upgrade(id)) {
      web_->close(id, web::kCloseNoStatus, "");
      return;
    }
    by_connection_.emplace(id, it->second);
    return;
  }
  auto session = open_session(request, true);
  session->use_websocket(id);
  by_connection_.emplace(id, session);
  web_->send(id, open_packet(session->id(), false, options_), false);
  listener_.on_open(*session);
  if (session->is_open()) session->start_heartbeat();
}

void EngineServer::on_ws_message(web::ConnectionId id, std::string_view data, bool binary) {
  auto it = by_connection_.find(id);
  if (it == by_connection_.end()) return;
  auto session = it->second;  // may close while handling the frame
  session->on_ws_frame(id, data, binary);
}

void EngineServer::on_ws_close(web::ConnectionId id) {
  auto it = by_connection_.find(id);
  if (it == by_connection_.end()) return;
  auto session = it->second;
  by_connection_.erase(it);
  session->on_ws_closed(id);
}

web::HttpResponse EngineServer::refused(int error) {
  if (options_.handshake_errors != nullptr) options_.handshake_errors->add();
  return handshake_error(static_cast<HandshakeError>(error));
}

void EngineServer::close_all(std::string_view reason) {
  std::vector<std::shared_ptr<Session>> all;
  all.reserve(sessions_.size());
  for (auto& [id, session] : sessions_) all.push_back(session);
  for (auto& session : all) session->close(reason);
}

EngineServer* EngineRouter::find(const std::string& path) const {
  for (EngineServer* engine : engines_) {
    if (engine->serves(path)) return engine;
  }
  return nullptr;
}

std::optional<web::HttpResponse> EngineRouter::accept(const web::HttpRequest& request) {
  EngineServer* engine = find(request.path);
  if (engine == nullptr) return web::HttpResponse{404, R"({"code":3,"message":"Bad request"})", "application/json", {}};
  return engine->accept(request);
}

void EngineRouter::on_open(web::ConnectionId id, const web::HttpRequest& request) {
  EngineServer* engine = find(request.path);
  if (engine == nullptr) return;
  owners_.emplace(id, engine);
  engine->on_ws_open(id, request);
}

void EngineRouter::on_message(web::ConnectionId id, std::string_view data, bool binary) {
  auto it = owners_.find(id);
  if (it != owners_.end()) it->second->on_ws_message(id, data, binary);
}

void EngineRouter::on_close(web::ConnectionId id) {
  auto it = owners_.find(id);
  if (it == owners_.end()) return;
  EngineServer* engine = it->second;
  owners_.erase(it);
  engine->on_ws_close(id);
}

}  // namespace parkchat::gateway
