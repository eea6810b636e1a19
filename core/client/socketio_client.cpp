#include "core/client/socketio_client.hpp"

#include <algorithm>
#include <map>
#include <thread>

#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

#include "core/proto/socketio.hpp"

namespace parkchat::client {
namespace {

using Endpoint = websocketpp::client<websocketpp::config::asio_client>;
using Timer = boost::asio::steady_timer;

}  // namespace

struct ClientLoop::Impl {
  Endpoint endpoint;
  std::thread thread;
};

ClientLoop::ClientLoop() : impl_(std::make_unique<Impl>()) {}

std::unique_ptr<ClientLoop> ClientLoop::start() {
  std::unique_ptr<ClientLoop> loop(new ClientLoop());
  Endpoint& endpoint = loop->impl_->endpoint;
  endpoint.clear_access_channels(websocketpp::log::alevel::all);
  endpoint.clear_error_channels(websocketpp::log::elevel::all);
  endpoint.init_asio();
  endpoint.start_perpetual();
  // Small chat frames: no Nagle delay. (After the TCP connect: the socket init handler runs
  // before the socket is open.)
  endpoint.set_tcp_pre_init_handler([&endpoint](websocketpp::connection_hdl hdl) {
    std::error_code ec;
    auto con = endpoint.get_con_from_hdl(hdl, ec);
    if (ec) return;
    boost::system::error_code ignored;
    con->get_raw_socket().set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  });
  loop->impl_->thread = std::thread([&endpoint] { endpoint.run(); });
  return loop;
}

ClientLoop::~ClientLoop() {
  impl_->endpoint.stop_perpetual();
  impl_->endpoint.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

boost::asio::io_context& ClientLoop::io_context() { return impl_->endpoint.get_io_service(); }

void ClientLoop::post(std::function<void()> task) { boost::asio::post(impl_->endpoint.get_io_service(), std::move(task)); }

namespace {

class Client final : public SocketIoClient, public std::enable_shared_from_this<Client> {
 public:
  Client(ClientLoop& loop, SocketIoOptions options, SocketIoHandlers handlers)
      : loop_(loop),
        endpoint_(loop.impl().endpoint),
        options_(std::move(options)),
        handlers_(std::move(handlers)),
        backoff_(options_.reconnect_first),
        watchdog_(endpoint_.get_io_service()),
        retry_(endpoint_.get_io_service()) {}

  void connect() override {
    loop_.post([self = shared_from_this()] {
      if (!self->closed_ && !self->connection_) self->attempt();
    });
  }

  void emit(const std::string& event, nlohmann::json arg, Ack ack, std::chrono::milliseconds timeout) override {
    loop_.post([self = shared_from_this(), event, arg = std::move(arg), ack = std::move(ack), timeout]() mutable {
      self->emit_now(event, std::move(arg), std::move(ack), timeout);
    });
  }

  void close() override {
    loop_.post([self = shared_from_this()] {
      self->closed_ = true;
      self->retry_.cancel();
      self->drop_connection("client closed", false);
    });
  }

 private:
  struct PendingAck {
    Ack ack;
    std::unique_ptr<Timer> timer;
  };

  // The gateway of the current attempt: `server`, or one of the others after a reconnect.
  const ServerUrl& server() const {
    return turn_ == 0 ? options_.server : options_.other_servers[(turn_ - 1) % options_.other_servers.size()];
  }
  std::string socket_url() const {
    return "ws://" + server().host + ":" + std::to_string(server().port) + server().base_path +
           "/socket.io/?EIO=4&transport=websocket";
  }
  std::string nsp_prefix() const { return options_.nsp == "/" ? "" : options_.nsp + ","; }

  void attempt() {
    const std::uint64_t generation = ++generation_;
    std::error_code ec;
    Endpoint::connection_ptr con = endpoint_.get_connection(socket_url(), ec);
    if (ec) return lost(generation, "cannot connect to " + server().text() + ": " + ec.message());
    std::weak_ptr<Client> weak = shared_from_this();
    con->set_message_handler([weak, generation](websocketpp::connection_hdl, Endpoint::message_ptr msg) {
      if (auto self = weak.lock(); self && self->generation_ == generation) {
        if (msg->get_opcode() == websocketpp::frame::opcode::text) self->on_frame(generation, msg->get_payload());
      }
    });
    auto on_end = [weak, generation](std::string what) {
      return [weak, generation, what](websocketpp::connection_hdl hdl) {
        auto self = weak.lock();
        if (!self || self->generation_ != generation) return;
        std::error_code error;
        auto ended = self->endpoint_.get_con_from_hdl(hdl, error);
        std::string reason = what;  // a copy: the handler may run again
        if (!error && ended) {
          // The transport's error says what happened ("Connection refused"); websocketpp's own
          // only that the transport failed.
          const auto transport = ended->get_transport_ec();
          const auto code = ended->get_ec();
          if (transport) {
            reason += ": " + transport.message();
          } else if (code) {
            reason += ": " + code.message();
          }
          if (!ended->get_remote_close_reason().empty()) reason += ": " + ended->get_remote_close_reason();
        }
        self->lost(generation, reason);
      };
    };
    con->set_close_handler(on_end("connection closed"));
    con->set_fail_handler(on_end("cannot connect to " + server().text()));
    connection_ = con;
    endpoint_.connect(con);
    arm_watchdog(generation, options_.connect_timeout, "no connection within the connect timeout");
  }

  void arm_watchdog(std::uint64_t generation, std::chrono::milliseconds after, const char* reason) {
    watchdog_.expires_after(after);
    watchdog_.async_wait([weak = weak_from_this(), generation, reason](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || self->generation_ != generation) return;
      self->lost(generation, reason);
    });
  }

  void send(const std::string& text) {
    if (!connection_) return;
    std::error_code ec;
    endpoint_.send(connection_->get_handle(), text, websocketpp::frame::opcode::text, ec);
  }

  void on_frame(std::uint64_t generation, const std::string& text) {
    if (text.empty()) return;
    switch (text[0]) {
      case '0': {  // Engine.IO open: the heartbeat's timing; then join the namespace
        auto open = nlohmann::json::parse(text.substr(1), nullptr, false);
        if (open.is_object()) {
          ping_interval_ = std::chrono::milliseconds(open.value("pingInterval", 25000));
          ping_timeout_ = std::chrono::milliseconds(open.value("pingTimeout", 20000));
        }
        send("40" + nsp_prefix() + options_.auth.dump());
        return;
      }
      case '2':  // ping: answer, and expect the next one in time
        send("3");
        if (joined_) arm_watchdog(generation, ping_interval_ + ping_timeout_, "ping timeout");
        return;
      case '1':
        return lost(generation, "the server closed the session");
      case '4':
        return on_packet(generation, std::string_view(text).substr(1));
      default:
        return;
    }
  }

  void on_packet(std::uint64_t generation, std::string_view text) {
    auto packet = proto::decode_sio(text);
    if (!packet || packet->nsp != options_.nsp) return;
    const nlohmann::json data = packet->data ? *packet->data : nlohmann::json();
    switch (packet->type) {
      case proto::SioType::connect:
        joined_ = true;
        backoff_ = options_.reconnect_first;
        arm_watchdog(generation, ping_interval_ + ping_timeout_, "ping timeout");
        if (handlers_.connected) handlers_.connected(data);
        return;
      case proto::SioType::connect_error:
        closed_ = true;  // refused: trying again would be refused again
        if (handlers_.refused) handlers_.refused(data);
        return drop_connection("refused", false);
      case proto::SioType::event:
        if (handlers_.event && data.is_array() && !data.empty() && data[0].is_string()) {
          nlohmann::json args(data.begin() + 1, data.end());
          handlers_.event(data[0].get<std::string>(), args);
        }
        return;
      case proto::SioType::ack: {
        if (!packet->id) return;
        auto it = acks_.find(*packet->id);
        if (it == acks_.end()) return;
        Ack ack = std::move(it->second.ack);
        acks_.erase(it);
        if (ack) ack(data);
        return;
      }
      case proto::SioType::disconnect:
        closed_ = true;  // the server let this client go: as socket.io-client, do not come back
        return drop_connection("the server disconnected the namespace", true);
      default:
        return;
    }
  }

  void emit_now(const std::string& event, nlohmann::json arg, Ack ack, std::chrono::milliseconds timeout) {
    if (!joined_) {
      if (ack) ack(fail(Errc::unavailable, "not connected to " + server().text()));
      return;
    }
    std::string packet = "42" + nsp_prefix();
    if (ack) {
      const std::uint64_t id = next_ack_++;
      packet += std::to_string(id);
      auto timer = std::make_unique<Timer>(endpoint_.get_io_service());
      timer->expires_after(timeout);
      timer->async_wait([weak = weak_from_this(), id, timeout](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self) return;
        auto it = self->acks_.find(id);
        if (it == self->acks_.end()) return;
        Ack expired = std::move(it->second.ack);
        self->acks_.erase(it);
        expired(fail(Errc::unavailable, "no acknowledgement within " + std::to_string(timeout.count()) + " ms"));
      });
      acks_.emplace(id, PendingAck{std::move(ack), std::move(timer)});
    }
    packet += nlohmann::json::array({event, std::move(arg)}).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    send(packet);
  }

  void lost(std::uint64_t generation, const std::string& reason) {
    if (generation != generation_) return;
    drop_connection(reason, true);
  }

  // Ends the current connection; reports it, and schedules a reconnect when wanted.
  void drop_connection(const std::string& reason, bool report) {
    ++generation_;  // callbacks of the old connection are stale from now on
    watchdog_.cancel();
    const bool was_connected = connection_ != nullptr;
    if (connection_) {
      std::error_code ec;
      if (connection_->get_state() == websocketpp::session::state::open) {
        connection_->close(websocketpp::close::status::normal, "", ec);
      } else if (connection_->get_state() == websocketpp::session::state::connecting) {
        connection_->terminate(ec);
      }
      connection_.reset();
    }
    joined_ = false;
    auto pending = std::move(acks_);
    acks_.clear();
    for (auto& [id, p] : pending) {
      if (p.ack) p.ack(fail(Errc::unavailable, "connection lost: " + reason));
    }
    if (!report || !was_connected) return;
    std::optional<std::chrono::milliseconds> retry_in;
    if (!closed_ && options_.reconnect) {
      // The next gateway in turn: the one just lost may be gone for good.
      if (!options_.other_servers.empty()) turn_ = (turn_ + 1) % (options_.other_servers.size() + 1);
      retry_in = backoff_;
      backoff_ = std::min(backoff_ * 2, options_.reconnect_max);
      retry_.expires_after(*retry_in);
      retry_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self || self->closed_) return;
        self->attempt();
      });
    }
    if (handlers_.disconnected) handlers_.disconnected(reason, retry_in);
  }

  ClientLoop& loop_;
  Endpoint& endpoint_;
  SocketIoOptions options_;
  SocketIoHandlers handlers_;
  Endpoint::connection_ptr connection_;
  std::uint64_t generation_ = 0;
  std::size_t turn_ = 0;  // which gateway: 0 for `server`, then the others in turn
  bool closed_ = false;
  bool joined_ = false;
  std::chrono::milliseconds backoff_;
  std::chrono::milliseconds ping_interval_{25000};
  std::chrono::milliseconds ping_timeout_{20000};
  Timer watchdog_;
  Timer retry_;
  std::uint64_t next_ack_ = 1;
  std::map<std::uint64_t, PendingAck> acks_;
};

}  // namespace

std::shared_ptr<SocketIoClient> SocketIoClient::create(ClientLoop& loop, SocketIoOptions options, SocketIoHandlers handlers) {
  return std::make_shared<Client>(loop, std::move(options), std::move(handlers));
}

}  // namespace parkchat::client
