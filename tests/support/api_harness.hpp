#pragma once
// The `api` role in the test process, in front of a ChatHarness's service: an HTTP server on a
// free port with the REST routes and the operator endpoints, exactly as `serve` wires them.

#include <memory>
#include <string>

#include "core/bus/async_requester.hpp"
#include "core/obs/metrics.hpp"
#include "daemon/api/ops_endpoints.hpp"
#include "daemon/api/rest_api.hpp"
#include "daemon/limits/user_budgets.hpp"
#include "daemon/web/http_server.hpp"
#include "tests/support/chat_harness.hpp"
#include "tests/support/http_client.hpp"

namespace parkchat::testing {

inline constexpr const char* kApiSecret = "api-test-secret";

class ApiHarness {
 public:
  // `request_timeout`: how long a client may take to send a request; `reply_timeout`: how long
  // the API waits for the service.
  explicit ApiHarness(std::chrono::milliseconds request_timeout = std::chrono::seconds(10),
                      std::chrono::milliseconds reply_timeout = std::chrono::seconds(5), std::string nats_url = "");
  ~ApiHarness();

  int port() const { return http_->port(); }
  ChatHarness& chat() { return chat_; }
  // A token for user `id` signed with the harness's secret.
  static std::string token(std::int64_t id, const std::string& name = "");
  // A request to /api/user/chat<path> as user `as` (0: no Authorization header).
  HttpResult api(const std::string& method, const std::string& path, std::int64_t as, const std::string& body = "");
  HttpResult get(const std::string& target) { return http_request(port(), "GET", target); }

 private:
  void set_up(std::chrono::milliseconds request_timeout, std::chrono::milliseconds reply_timeout);

  ChatHarness chat_;
  obs::Registry metrics_;
  limits::UserBudgets budgets_;
  std::unique_ptr<bus::AsyncRequester> requester_;
  std::unique_ptr<api::RestApi> rest_;
  std::unique_ptr<api::OpsEndpoints> ops_;
  std::unique_ptr<web::HttpServer> http_;
};

}  // namespace parkchat::testing
