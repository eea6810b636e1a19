#pragma once
// `serve --dev-login`: POST /dev/token {userId, name?} answers {token}, a token for anyone, signed
// with the server's secret, so that the embedded setup can be tried from a browser without the
// platform's login. GET /dev/token says it is there (the page shows its form then). Only with the
// flag, which `serve` allows on a loopback listen address alone; otherwise the path is 404.

#include <string>

#include "daemon/web/http_server.hpp"

namespace parkchat::api {

class DevLogin {
 public:
  explicit DevLogin(std::string jwt_secret) : secret_(std::move(jwt_secret)) {}

  static bool serves(const std::string& path) { return path == "/dev/token"; }
  web::HttpResponse handle(const web::HttpRequest& request) const;

 private:
  std::string secret_;
};

}  // namespace parkchat::api
