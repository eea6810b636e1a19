#include "daemon/api/ops_endpoints.hpp"

#include "core/proto/envelope.hpp"

namespace parkchat::api {
namespace {

web::HttpResponse json_response(int status, const nlohmann::json& body) { return {status, body.dump(), "application/json", {}}; }

}  // namespace

bool OpsEndpoints::serves(const std::string& path) {
  return path == "/healthz" || path == "/readyz" || path == "/metrics" || path == "/stats";
}

void OpsEndpoints::handle(const web::HttpRequest& request, web::Respond respond) {
  if (request.method != "GET") {
    respond(json_response(404, proto::error_envelope({Errc::not_found, "no route " + request.method + " " + request.path})));
    return;
  }
  if (request.path == "/healthz") {
    respond(json_response(200, {{"status", "ok"}}));
  } else if (request.path == "/metrics") {
    respond({200, metrics_.render(), "text/plain; version=0.0.4", {}});
  } else if (request.path == "/stats") {
    nlohmann::json local = stats_();
    if (requester_ == nullptr) {
      respond(json_response(200, local));
      return;
    }
    // Row counts and stream figures come from a service, which may block on them.
    requester_->request("chat.stats", "{}", std::chrono::seconds(2), [respond, local](Result<std::string> reply) mutable {
      auto data = reply ? proto::open_envelope(nlohmann::json::parse(*reply, nullptr, false))
                        : Result<nlohmann::json>(tl::unexpected(reply.error()));
      if (data && data->is_object()) {
        local["database"] = data->value("database", nlohmann::json());
        local["streams"] = data->value("streams", nlohmann::json());
      } else {
        local["serviceError"] = data ? "malformed reply" : data.error().message;
      }
      respond(json_response(200, local));
    });
  } else if (requester_ == nullptr) {
    respond(json_response(503, {{"status", "not ready"}, {"nats", "not configured"}}));
  } else {
    // The service answers chat.health after a round trip to PostgreSQL: one request checks NATS,
    // a service and its database.
    requester_->request("chat.health", "{}", std::chrono::seconds(2), [respond](Result<std::string> reply) {
      if (!reply) {
        respond(json_response(503, {{"status", "not ready"}, {"error", reply.error().message}}));
        return;
      }
      auto data = proto::open_envelope(nlohmann::json::parse(*reply, nullptr, false));
      if (!data) {
        respond(json_response(503, {{"status", "not ready"}, {"nats", "ok"}, {"error", data.error().message}}));
        return;
      }
      respond(json_response(200, {{"status", "ready"}, {"nats", "ok"}, {"database", "ok"}}));
    });
  }
}

}  // namespace parkchat::api
