#include "tests/support/http_client.hpp"

#include <cctype>

#include "core/client/http_client.hpp"

namespace parkchat::testing {

std::string HttpResult::code() const {
  auto j = json();
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return "";
  return j["error"].value("code", "");
}

std::string HttpResult::header(const std::string& name) const {
  auto lower = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  for (const auto& [key, value] : headers) {
    if (lower(key) == lower(name)) return value;
  }
  return "";
}

HttpResult http_request(int port, const std::string& method, const std::string& target, const std::string& body,
                        const Headers& headers) {
  HttpResult result;
  auto reply = client::http_call({"127.0.0.1", port, ""}, method, target, body, headers, std::chrono::seconds(20));
  if (!reply) {
    result.error = reply.error().message;
    return result;
  }
  result.status = reply->status;
  result.body = std::move(reply->body);
  result.content_type = std::move(reply->content_type);
  result.etag = std::move(reply->etag);
  result.cache_control = std::move(reply->cache_control);
  result.headers = std::move(reply->headers);
  return result;
}

}  // namespace parkchat::testing
