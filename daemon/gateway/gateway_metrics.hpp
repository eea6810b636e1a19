#pragma once
// The gateway's series in /metrics (README "Metrics"), made once at start: afterwards the
// socket and message paths only touch their atomics, never the registry's lock.

#include <map>
#include <string>
#include <string_view>

#include "core/obs/metrics.hpp"

namespace parkchat::gateway {

struct GatewayMetrics {
  explicit GatewayMetrics(obs::Registry& registry);

  // parkchat_connection_failures_total by reason.
  obs::Counter& token_refused;     // CONNECT with a token the gateway refuses
  obs::Counter& handshake_errors;  // Engine.IO handshake or transport errors (HTTP 400/403)
  obs::Counter& connect_timeouts;  // no CONNECT within --connect-timeout
  obs::Counter& slow_readers;      // cut: more output waiting than a socket may buffer
  // parkchat_overload_refusals_total: sends refused UNAVAILABLE while deliveries queue.
  obs::Counter& overload_refusals;
  // parkchat_send_ack_seconds: send_message to its acknowledgement.
  obs::Histogram& send_ack;
  // parkchat_delivery_seconds: a message's createdAt to its delivery by this gateway.
  obs::Histogram& delivery;
  // parkchat_jwt_refusals_total{via="socket"} for a reason of auth::refusal_reason.
  obs::Counter& jwt_refusal(std::string_view reason);

 private:
  std::map<std::string, obs::Counter*, std::less<>> jwt_refusals_;
};

}  // namespace parkchat::gateway
