#include "daemon/api/rest_api.hpp"

#include <nlohmann/json.hpp>

#include "core/auth/token.hpp"
#include "core/proto/envelope.hpp"
#include "daemon/api/rest_charges.hpp"
#include "daemon/api/rest_routes.hpp"
#include "core/proto/bounded_json.hpp"

namespace parkchat::api {
namespace {

// The token of an "Authorization: Bearer <token>" header; empty when there is none.
std::string bearer_token(const std::string& header) {
  if (header.size() < 7) return {};
  std::string scheme = header.substr(0, 7);
  for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (scheme != "bearer ") return {};
  std::size_t start = header.find_first_not_of(' ', 7);
  return start == std::string::npos ? std::string() : header.substr(start);
}

// 429 with the retry hint in the envelope (retryAfterMs) and in Retry-After (whole seconds).
web::HttpResponse rate_limited_response(const Refusal& refusal) {
  nlohmann::json envelope = proto::error_envelope(refusal.error);
  envelope["error"]["retryAfterMs"] = refusal.retry_after.count();
  const std::int64_t seconds = (refusal.retry_after.count() + 999) / 1000;
  return {http_status(refusal.error.code), envelope.dump(), "application/json", {{"Retry-After", std::to_string(seconds)}}};
}

}  // namespace

web::HttpResponse error_response(const Error& error) {
  return {http_status(error.code), proto::error_envelope(error).dump(), "application/json", {}};
}

RestApi::RestApi(bus::AsyncRequester& requester, limits::UserBudgets& budgets, obs::Registry& metrics,
                 RestApiOptions options)
    : requester_(requester), budgets_(budgets), metrics_(metrics), options_(std::move(options)) {}

web::Respond RestApi::measured(const std::string& route, web::Respond respond) {
  const auto started = std::chrono::steady_clock::now();
  return [this, route, started, respond = std::move(respond)](web::HttpResponse response) {
    const std::string labels = "route=\"" + obs::label_value(route) + "\"";
    metrics_.counter("parkchat_http_requests_total", "REST requests by route and status",
                     labels + ",status=\"" + std::to_string(response.status) + "\"")
        .add();
    metrics_.histogram("parkchat_http_request_duration_seconds", "REST request latency by route", labels)
        .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    respond(std::move(response));
  };
}

void RestApi::handle(web::HttpRequest request, web::Respond respond) {
  const std::string path = request.path.substr(std::string(kPrefix).size());
  if (request.body.size() > options_.max_body_bytes) {
    measured("too large", std::move(respond))(error_response(
        {Errc::payload_too_large, "request body of " + std::to_string(request.body.size()) + " bytes; at most " +
                                      std::to_string(options_.max_body_bytes) + " are accepted"}));
    return;
  }
  const std::string token = bearer_token(request.header("authorization"));
  auto refused = [&](const Error& error, std::string_view why = {}) {
    const std::string reason(why.empty() ? auth::refusal_reason(error) : why);
    metrics_.counter("parkchat_jwt_refusals_total", "Tokens refused, by reason and path",
                     "reason=\"" + reason + "\",via=\"rest\"")
        .add();
    measured("unauthorized", std::move(respond))(error_response(error));
  };
  if (token.empty()) return refused({Errc::unauthorized, "missing Authorization: Bearer token"}, "missing");
  auto caller = auth::verify_token(token, options_.jwt_secret);
  if (!caller) return refused(caller.error());
  nlohmann::json body = nlohmann::json::object();
  if (!request.body.empty() && request.method != "GET" && request.method != "DELETE") {
    body = proto::parse_bounded_json(request.body);
    if (body.is_discarded() || !body.is_object()) {
      measured("bad body", std::move(respond))(error_response({Errc::validation, "body must be a JSON object"}));
      return;
    }
  }
  auto call = route(request.method, path, request.query, body, *caller);
  if (!call) {
    measured("unmatched", std::move(respond))(error_response(call.error()));
    return;
  }
  auto charged = charge(budgets_, *call, *caller);
  if (!charged) {
    measured(call->route, std::move(respond))(rate_limited_response(charged.error()));
    return;
  }
  const int success_status = call->success_status;
  requester_.request(call->subject, call->payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                     options_.timeout,
                     [this, respond = measured(call->route, std::move(respond)), success_status,
                      charged = std::move(*charged)](Result<std::string> reply) {
                       if (!reply) {
                         settle(budgets_, charged, false);
                         respond(error_response(reply.error()));
                         return;
                       }
                       auto envelope = nlohmann::json::parse(*reply, nullptr, false);
                       auto data = proto::open_envelope(envelope);
                       // A DIRECT room that existed added nobody.
                       settle(budgets_, charged, data && !(data->is_object() && data->value("created", true) == false));
                       if (!data) {
                         respond({http_status(data.error().code), *reply, "application/json", {}});
                         return;
                       }
                       // The same message id again: the stored message, 200 rather than 201.
                       const bool duplicate = envelope.value("duplicate", false);
                       respond({duplicate ? 200 : success_status, *reply, "application/json", {}});
                     });
}

}  // namespace parkchat::api
