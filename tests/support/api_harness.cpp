#include "tests/support/api_harness.hpp"

#include <gtest/gtest.h>

#include "core/auth/token.hpp"
#include "daemon/api/rest_routes.hpp"

namespace parkchat::testing {

ApiHarness::ApiHarness(std::chrono::milliseconds request_timeout, std::chrono::milliseconds reply_timeout,
                       std::string nats_url)
    : chat_(std::move(nats_url)) {
  set_up(request_timeout, reply_timeout);
}

void ApiHarness::set_up(std::chrono::milliseconds request_timeout, std::chrono::milliseconds reply_timeout) {
  auto requester = bus::AsyncRequester::open(chat_.nats());
  ASSERT_TRUE(requester) << requester.error().message;
  requester_ = std::move(*requester);
  rest_ = std::make_unique<api::RestApi>(*requester_, budgets_, metrics_, api::RestApiOptions{kApiSecret, reply_timeout});
  ops_ = std::make_unique<api::OpsEndpoints>(requester_.get(), metrics_, [] { return nlohmann::json{{"version", "test"}}; });
  web::HttpServerOptions options;
  options.port = 0;
  options.request_timeout = request_timeout;
  auto server = web::HttpServer::start(options, [this](web::HttpRequest request, web::Respond respond) {
    if (api::is_api_path(request.path)) {
      rest_->handle(std::move(request), std::move(respond));
    } else if (api::OpsEndpoints::serves(request.path)) {
      ops_->handle(request, std::move(respond));
    } else {
      respond(api::error_response({Errc::not_found, "no route"}));
    }
  });
  ASSERT_TRUE(server) << server.error().message;
  http_ = std::move(*server);
}

ApiHarness::~ApiHarness() {
  if (http_) http_->stop();
  requester_.reset();
}

std::string ApiHarness::token(std::int64_t id, const std::string& name) {
  return *auth::mint_token({id, name.empty() ? "user " + std::to_string(id) : name}, kApiSecret, std::chrono::hours(1));
}

HttpResult ApiHarness::api(const std::string& method, const std::string& path, std::int64_t as, const std::string& body) {
  Headers headers;
  if (as > 0) headers.emplace_back("Authorization", "Bearer " + token(as));
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  return http_request(port(), method, std::string(api::kPrefix) + path, body, headers);
}

}  // namespace parkchat::testing
