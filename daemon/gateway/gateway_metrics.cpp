#include "daemon/gateway/gateway_metrics.hpp"

#include "core/auth/token.hpp"

namespace parkchat::gateway {
namespace {

constexpr const char* kFailures = "parkchat_connection_failures_total";
constexpr const char* kFailuresHelp = "Socket connections that failed or were cut, by reason";

}  // namespace

GatewayMetrics::GatewayMetrics(obs::Registry& registry)
    : token_refused(registry.counter(kFailures, kFailuresHelp, "reason=\"token_refused\"")),
      handshake_errors(registry.counter(kFailures, kFailuresHelp, "reason=\"handshake_error\"")),
      connect_timeouts(registry.counter(kFailures, kFailuresHelp, "reason=\"connect_timeout\"")),
      slow_readers(registry.counter(kFailures, kFailuresHelp, "reason=\"slow_reader\"")),
      overload_refusals(registry.counter("parkchat_overload_refusals_total",
                                         "Sends refused UNAVAILABLE because deliveries waited past --max-queue-delay")),
      send_ack(registry.histogram("parkchat_send_ack_seconds", "From a socket's send_message to its acknowledgement")),
      delivery(registry.histogram("parkchat_delivery_seconds",
                                  "From a message's createdAt to its delivery by this gateway")) {
  for (const char* reason : auth::kRefusalReasons) {
    jwt_refusals_[reason] = &registry.counter("parkchat_jwt_refusals_total", "Tokens refused, by reason and path",
                                              "reason=\"" + std::string(reason) + "\",via=\"socket\"");
  }
}

obs::Counter& GatewayMetrics::jwt_refusal(std::string_view reason) {
  auto it = jwt_refusals_.find(reason);
  return it != jwt_refusals_.end() ? *it->second : *jwt_refusals_.at("other");
}

}  // namespace parkchat::gateway
