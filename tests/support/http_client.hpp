#pragma once
// A plain HTTP/1.1 client for tests (Boost.Beast, synchronous, one connection per request).

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace parkchat::testing {

struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string etag;
  std::string cache_control;
  std::vector<std::pair<std::string, std::string>> headers;  // every header
  std::string error;  // set when no response came

  // The value of header `name` (any case), "" when absent.
  std::string header(const std::string& name) const;

  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string code() const;  // error.code of an envelope, "" otherwise
};

using Headers = std::vector<std::pair<std::string, std::string>>;

HttpResult http_request(int port, const std::string& method, const std::string& target, const std::string& body = "",
                        const Headers& headers = {});

}  // namespace parkchat::testing
