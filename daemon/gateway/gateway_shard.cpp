#include "daemon/gateway/gateway_shard.hpp"

namespace parkchat::gateway {
namespace {

EngineOptions engine_options_of(const GatewayShardOptions& options, std::size_t shard) {
  EngineOptions engine = options.engine;
  engine.shard = shard;
  return engine;
}

}  // namespace

GatewayShard::GatewayShard(bus::NatsClient& nats, bus::AsyncRequester& requester, limits::UserBudgets& budgets,
                           GatewayProcess& process, const GatewayShardOptions& options)
    : chat_(nats, requester, budgets, process, options.chat),
      sio_(options.sio),
      engine_(engine_options_of(options, chat_.shard()), sio_),
      router_({&engine_}) {
  sio_.add_namespace("/chat", chat_);
}

void GatewayShard::attach(web::HttpServer& web) {
  engine_.attach(web);
  sio_.attach(web);
  chat_.attach(web);
}

}  // namespace parkchat::gateway
