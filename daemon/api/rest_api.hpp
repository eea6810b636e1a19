#pragma once
// The `api` role: the REST endpoints of CONTRACT §3 under /api/user/chat. Each request is
// authenticated (Bearer JWT), checked (body size, JSON), mapped to its NATS subject and sent
// without blocking; the service's envelope comes back as the response body, with the status
// its code stands for. Handlers run on the HTTP server's Asio thread and return at once.

#include <chrono>
#include <string>

#include "core/bus/async_requester.hpp"
#include "core/obs/metrics.hpp"
#include "daemon/limits/user_budgets.hpp"
#include "daemon/web/http_server.hpp"

namespace parkchat::api {

struct RestApiOptions {
  std::string jwt_secret;
  std::chrono::milliseconds timeout{5000};
  std::size_t max_body_bytes = 64 * 1024;
};

class RestApi {
 public:
  // `requester`, `budgets` and `metrics` must outlive the API. Requests draw on the caller's
  // budgets (rest_charges.hpp), shared with the gateway's sends.
  RestApi(bus::AsyncRequester& requester, limits::UserBudgets& budgets, obs::Registry& metrics,
          RestApiOptions options);

  // For a request whose path starts with /api/user/chat.
  void handle(web::HttpRequest request, web::Respond respond);

 private:
  web::Respond measured(const std::string& route, web::Respond respond);

  bus::AsyncRequester& requester_;
  limits::UserBudgets& budgets_;
  obs::Registry& metrics_;
  RestApiOptions options_;
};

// An error envelope with the status its code stands for.
web::HttpResponse error_response(const Error& error);

}  // namespace parkchat::api
