#pragma once
// A plain HTTP/1.1 client for the operator commands (`stats`, and the REST fallback of `send`):
// one request per connection, on Boost.Beast, with a deadline. Blocking; the caller's thread.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <vector>

#include "core/base/error.hpp"

namespace parkchat::client {

struct ServerUrl {
  std::string host;
  int port = 80;
  std::string base_path;  // without a trailing slash; "" for the root

  std::string text() const;  // http://host:port
};

// Parses http://host[:port][/path]; VALIDATION otherwise (https is not served by parkchat).
Result<ServerUrl> parse_server_url(const std::string& url);
// Several gateways of one deployment, comma-separated (`--url A,B,…`); at least one.
Result<std::vector<ServerUrl>> parse_server_urls(const std::string& urls);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string etag;           // the ETag header, for revalidation
  std::string cache_control;  // the Cache-Control header
  HeaderList headers = {};    // every header, as the server named it
};

// UNAVAILABLE, naming the URL, when the server cannot be reached or does not answer in time.
Result<HttpReply> http_call(const ServerUrl& server, const std::string& method, const std::string& target,
                            const std::string& body = "", const HeaderList& headers = {},
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace parkchat::client
