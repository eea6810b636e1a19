#include "daemon/gateway/socketio_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/base/random.hpp"

namespace parkchat::gateway {
namespace {

// Attachments one packet may announce; their bytes together are capped by the options.
constexpr int kMaxAttachments = 64;

const char* packet_name(proto::SioType type) {
  static const char* const kNames[] = {"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"};
  return kNames[static_cast<int>(type)];
}

}  // namespace

using proto::SioPacket;
using proto::SioType;

Frame event_frame(std::string_view nsp, std::string_view name, const nlohmann::json& argument) {
  return make_frame("4" + proto::encode_event(nsp, name, argument));
}

// What Socket.IO keeps in an Engine.IO session: its namespace sockets, a binary packet waiting
// for its attachments, and the deadline for joining a namespace.
struct SioServer::Client : EngineSession::Attachment {
  explicit Client(boost::asio::io_context& io) : connect_timer(std::make_unique<boost::asio::steady_timer>(io)) {}

  std::map<std::string, std::unique_ptr<SioSocket>> sockets;
  std::optional<SioPacket> partial;
  std::vector<std::string> attachments;
  std::size_t attachment_bytes = 0;
  // Expires with the client: the connect timer's handler checks it before touching anything,
  // as a completion already queued still runs after the timer is gone.
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  // Until the client joins a namespace; then released, as idle sockets should cost little.
  std::unique_ptr<boost::asio::steady_timer> connect_timer;
};

void SioSocket::send_packet(std::string text, const std::vector<std::string>& attachments) {
  engine_.send(make_frame("4" + text));
  for (const auto& bytes : attachments) engine_.send_binary(bytes);
}

void SioSocket::emit(std::string_view name, const nlohmann::json& args) {
  nlohmann::json data = nlohmann::json::array({std::string(name)});
  for (const auto& arg : args) data.push_back(arg);
  std::vector<std::string> attachments;
  SioPacket packet;
  packet.nsp = nsp_;
  packet.data = proto::deconstruct(data, attachments);
  packet.type = attachments.empty() ? SioType::event : SioType::binary_event;
  packet.attachments = static_cast<int>(attachments.size());
  send_packet(proto::encode_sio(packet), attachments);
}

void SioSocket::ack(std::uint64_t id, const nlohmann::json& args) {
  std::vector<std::string> attachments;
  SioPacket packet;
  packet.nsp = nsp_;
  packet.id = id;
  packet.data = proto::deconstruct(args.is_array() ? args : nlohmann::json::array({args}), attachments);
  packet.type = attachments.empty() ? SioType::ack : SioType::binary_ack;
  packet.attachments = static_cast<int>(attachments.size());
  send_packet(proto::encode_sio(packet), attachments);
}

void SioSocket::disconnect(std::string_view reason) {
  SioPacket packet;
  packet.type = SioType::disconnect;
  packet.nsp = nsp_;
  engine_.send(make_frame("4" + proto::encode_sio(packet)));
  server_.drop(engine_, nsp_, reason);
}

Namespace* SioServer::find(const std::string& nsp) const {
  auto it = namespaces_.find(nsp);
  return it == namespaces_.end() ? nullptr : it->second;
}

void SioServer::on_open(EngineSession& session) {
  auto client = std::make_unique<Client>(web_->io_context());
  client->connect_timer->expires_after(options_.connect_timeout);
  client->connect_timer->async_wait(
      [this, &session, client = client.get(), alive = std::weak_ptr<bool>(client->alive)](const boost::system::error_code& ec) {
        if (ec || alive.expired() || !client->sockets.empty()) return;
        if (options_.connect_timeouts != nullptr) options_.connect_timeouts->add();
        session.close("connect timeout");
      });
  session.attachment = std::move(client);
}

void SioServer::on_message(EngineSession& session, std::string_view data, bool binary) {
  auto* client = static_cast<Client*>(session.attachment.get());
  if (client == nullptr) return;
  if (binary) {
    if (!client->partial) return session.close("parse error: unexpected binary attachment");
    client->attachment_bytes += data.size();
    if (client->attachment_bytes > options_.max_attachment_bytes) return session.close("attachments too large");
    client->attachments.emplace_back(data);
    if (static_cast<int>(client->attachments.size()) < client->partial->attachments) return;
    SioPacket packet = std::move(*client->partial);
    client->partial.reset();
    auto restored = proto::reconstruct(*packet.data, client->attachments);
    client->attachments.clear();
    if (!restored) return session.close("parse error: " + restored.error().message);
    packet.data = std::move(*restored);
    return dispatch(session, *client, std::move(packet));
  }
  if (client->partial) return session.close("parse error: text packet while attachments are due");
  auto packet = proto::decode_sio(data);
  if (!packet) return session.close("parse error: " + packet.error().message);
  if ((packet->type == SioType::binary_event || packet->type == SioType::binary_ack) && packet->attachments > 0) {
    if (packet->attachments > kMaxAttachments) return session.close("parse error: too many attachments");
    client->attachment_bytes = 0;
    client->partial = std::move(*packet);
    return;
  }
  dispatch(session, *client, std::move(*packet));
}

// As in the reference server: a CONNECT joins a namespace the client is not in, and every
// other packet but a CONNECT_ERROR goes to the client's socket in its namespace. Anything else
// (a packet for a namespace not joined, or refused; a second CONNECT; a CONNECT_ERROR) is a
// client out of step with the server, whose session is closed.
void SioServer::dispatch(EngineSession& session, Client& client, SioPacket packet) {
  auto it = client.sockets.find(packet.nsp);
  if (it == client.sockets.end()) {
    if (packet.type == SioType::connect) return connect(session, client, packet);
    return session.close(std::string("invalid state: ") + packet_name(packet.type) + " for a namespace not joined");
  }
  switch (packet.type) {
    case SioType::connect:
    case SioType::connect_error:
      return session.close(std::string("invalid state: ") + packet_name(packet.type) + " for a namespace joined");
    case SioType::disconnect:
      return drop(session, packet.nsp, "client namespace disconnect");
    case SioType::event:
    case SioType::binary_event: {
      SioSocket& socket = *it->second;
      nlohmann::json& data = *packet.data;
      std::string name = data[0].get<std::string>();
      data.erase(data.begin());
      Namespace* ns = find(packet.nsp);
      if (ns != nullptr) ns->on_event(socket, name, data, packet.id);
      return;
    }
    case SioType::ack:
    case SioType::binary_ack:
      return;  // the server asks for no acknowledgements: every id is unknown, and ignored
  }
}

void SioServer::connect(EngineSession& session, Client& client, const SioPacket& packet) {
  auto refuse = [&](nlohmann::json data) {
    SioPacket error;
    error.type = SioType::connect_error;
    error.nsp = packet.nsp;
    error.data = std::move(data);
    session.send(make_frame("4" + proto::encode_sio(error)));
  };
  Namespace* ns = find(packet.nsp);
  if (ns == nullptr) return refuse({{"message", "Invalid namespace"}});
  auto socket = std::make_unique<SioSocket>(*this, session, random_hex(10), packet.nsp);
  const nlohmann::json auth = packet.data ? *packet.data : nlohmann::json::object();
  if (auto refused = ns->authorize(*socket, auth)) return refuse(std::move(*refused));
  SioSocket& admitted = *socket;
  client.sockets.emplace(packet.nsp, std::move(socket));
  client.connect_timer.reset();  // cancels it; its handler sees operation_aborted
  SioPacket ok;
  ok.type = SioType::connect;
  ok.nsp = packet.nsp;
  ok.data = nlohmann::json{{"sid", admitted.id()}};
  session.send(make_frame("4" + proto::encode_sio(ok)));
  ns->on_connect(admitted, auth);
}

void SioServer::drop(EngineSession& engine, const std::string& nsp, std::string_view reason) {
  auto* client = static_cast<Client*>(engine.attachment.get());
  if (client == nullptr) return;
  auto it = client->sockets.find(nsp);
  if (it == client->sockets.end()) return;
  // Looked up before the erase: `nsp` may be the erased entry's own key (on_close passes it).
  Namespace* ns = find(nsp);
  std::unique_ptr<SioSocket> socket = std::move(it->second);
  client->sockets.erase(it);
  if (ns != nullptr) ns->on_disconnect(*socket, reason);
}

void SioServer::on_close(EngineSession& session, std::string_view reason) {
  auto* client = static_cast<Client*>(session.attachment.get());
  if (client == nullptr) return;
  while (!client->sockets.empty()) drop(session, client->sockets.begin()->first, reason);
  session.attachment.reset();
}

}  // namespace parkchat::gateway
