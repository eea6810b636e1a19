#pragma once
// Socket.IO 5 over the Engine.IO server: namespaces, events, acknowledgements and binary
// attachments. A namespace's logic lives in a Namespace; this layer admits sockets to it,
// decodes what clients send and encodes what the namespace emits. Asio thread only.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/proto/socketio.hpp"
#include "core/obs/metrics.hpp"
#include "daemon/gateway/engine_server.hpp"

namespace parkchat::gateway {

// The Engine.IO frame of an event: "42/chat,[name,argument]", to send to any number of sockets.
Frame event_frame(std::string_view nsp, std::string_view name, const nlohmann::json& argument);

// One client's connection to one namespace.
class SioSocket {
 public:
  struct Attachment {
    virtual ~Attachment() = default;
  };

  SioSocket(class SioServer& server, EngineSession& engine, std::string id, std::string nsp)
      : server_(server), engine_(engine), id_(std::move(id)), nsp_(std::move(nsp)) {}

  const std::string& id() const { return id_; }
  const std::string& nsp() const { return nsp_; }
  EngineSession& engine() { return engine_; }

  // A frame made by event_frame for this namespace.
  void emit(const Frame& frame) { engine_.send(frame); }
  // Emits name(args...); binary values in args travel as attachments.
  void emit(std::string_view name, const nlohmann::json& args);
  // Answers the event that carried ack id `id` with args (an array).
  void ack(std::uint64_t id, const nlohmann::json& args);
  // Ends this socket from the server side: the client gets a DISCONNECT packet and the
  // namespace's on_disconnect follows. The socket is destroyed afterwards.
  void disconnect(std::string_view reason = "server namespace disconnect");

  std::unique_ptr<Attachment> attachment;

 private:
  friend class SioServer;
  void send_packet(std::string text, const std::vector<std::string>& attachments);

  class SioServer& server_;
  EngineSession& engine_;
  std::string id_;
  std::string nsp_;
};

class Namespace {
 public:
  virtual ~Namespace() = default;
  // Before the socket joins: nullopt admits it; otherwise the CONNECT_ERROR data it gets.
  virtual std::optional<nlohmann::json> authorize(SioSocket& socket, const nlohmann::json& auth) = 0;
  virtual void on_connect(SioSocket& socket, const nlohmann::json& auth) = 0;
  // args: the event's arguments after its name. ack_id: present when the client waits for one.
  virtual void on_event(SioSocket& socket, const std::string& name, nlohmann::json& args,
                        std::optional<std::uint64_t> ack_id) = 0;
  virtual void on_disconnect(SioSocket& socket, std::string_view reason) = 0;
};

struct SioOptions {
  // A client that joins no namespace by then is disconnected.
  std::chrono::milliseconds connect_timeout{45000};
  // The binary attachments of one packet, together; more closes the session.
  std::size_t max_attachment_bytes = 1'000'000;
  // Counts sessions closed for joining no namespace in time, if set.
  obs::Counter* connect_timeouts = nullptr;
};

class SioServer : public EngineListener {
 public:
  explicit SioServer(SioOptions options) : options_(options) {}
  // The web server whose Asio thread runs the sessions (for the connect timeout).
  void attach(web::HttpServer& web) { web_ = &web; }
  // `ns` must outlive the server.
  void add_namespace(const std::string& name, Namespace& ns) { namespaces_[name] = &ns; }

  void on_open(EngineSession& session) override;
  void on_message(EngineSession& session, std::string_view data, bool binary) override;
  void on_close(EngineSession& session, std::string_view reason) override;

 private:
  struct Client;
  void dispatch(EngineSession& session, Client& client, proto::SioPacket packet);
  void connect(EngineSession& session, Client& client, const proto::SioPacket& packet);
  friend class SioSocket;
  void drop(EngineSession& engine, const std::string& nsp, std::string_view reason);
  Namespace* find(const std::string& nsp) const;

  SioOptions options_;
  web::HttpServer* web_ = nullptr;
  std::map<std::string, Namespace*> namespaces_;
};

}  // namespace parkchat::gateway
