#pragma once
// The operator endpoints of CONTRACT §3 on the listen address: GET /healthz (process up),
// GET /readyz (NATS and the database reachable), GET /metrics (Prometheus text) and GET /stats
// (JSON for `parkchat stats`).

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/bus/async_requester.hpp"
#include "core/obs/metrics.hpp"
#include "daemon/web/http_server.hpp"

namespace parkchat::api {

class OpsEndpoints {
 public:
  using StatsSource = std::function<nlohmann::json()>;
  // `requester` may be null (no NATS in this process); the others must outlive this.
  OpsEndpoints(bus::AsyncRequester* requester, obs::Registry& metrics, StatsSource stats)
      : requester_(requester), metrics_(metrics), stats_(std::move(stats)) {}

  static bool serves(const std::string& path);
  void handle(const web::HttpRequest& request, web::Respond respond);

 private:
  bus::AsyncRequester* requester_;
  obs::Registry& metrics_;
  StatsSource stats_;
};

}  // namespace parkchat::api
