#pragma once
// One shard of the gateway: the /chat namespace on Socket.IO on Engine.IO, all run by one
// listener thread (web::HttpShards gives each shard its own), sharing the process's rooms,
// users and budgets with the other shards.

#include <cstddef>
#include <memory>

#include "daemon/gateway/chat_gateway.hpp"
#include "daemon/gateway/engine_server.hpp"
#include "daemon/gateway/socketio_server.hpp"

namespace parkchat::gateway {

struct GatewayShardOptions {
  ChatGatewayOptions chat;
  SioOptions sio;
  EngineOptions engine;
};

class GatewayShard {
 public:
  GatewayShard(bus::NatsClient& nats, bus::AsyncRequester& requester, limits::UserBudgets& budgets,
               GatewayProcess& process, const GatewayShardOptions& options);

  // Opens what the shard publishes with; before the first client.
  Result<void> start() { return chat_.start(); }
  // Runs the shard on `web`'s thread; before it serves.
  void attach(web::HttpServer& web);

  ChatGateway& chat() { return chat_; }
  EngineServer& engine() { return engine_; }
  web::WebSocketHandler& websocket() { return router_; }

 private:
  ChatGateway chat_;
  SioServer sio_;
  EngineServer engine_;
  EngineRouter router_;
};

}  // namespace parkchat::gateway
