#include "core/client/http_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace parkchat::client {

namespace beast = boost::beast;
namespace http = beast::http;

std::string ServerUrl::text() const { return "http://" + host + ":" + std::to_string(port) + base_path; }

Result<ServerUrl> parse_server_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return fail(Errc::validation, "server URL '" + url + "': expected http://host:port");
  ServerUrl out;
  std::string rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) out.base_path = rest.substr(slash);
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  auto colon = authority.rfind(':');
  out.host = authority.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
      return fail(Errc::validation, "server URL '" + url + "': bad port");
    }
    out.port = std::stoi(port);
  }
  if (out.host.empty()) return fail(Errc::validation, "server URL '" + url + "': no host");
  return out;
}

Result<std::vector<ServerUrl>> parse_server_urls(const std::string& urls) {
  std::vector<ServerUrl> out;
  std::size_t start = 0;
  while (start <= urls.size()) {
    const std::size_t comma = urls.find(',', start);
    std::string one = urls.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!one.empty() && one.front() == ' ') one.erase(one.begin());
    while (!one.empty() && one.back() == ' ') one.pop_back();
    if (!one.empty()) {
      auto url = parse_server_url(one);
      if (!url) return tl::unexpected(url.error());
      out.push_back(*url);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (out.empty()) return fail(Errc::validation, "no server URL in '" + urls + "'");
  return out;
}

Result<HttpReply> http_call(const ServerUrl& server, const std::string& method, const std::string& target,
                            const std::string& body, const HeaderList& headers, std::chrono::milliseconds timeout) {
  const std::string where = server.text() + target;
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    stream.connect(resolver.resolve(server.host, std::to_string(server.port)));
    http::request<http::string_body> request{http::string_to_verb(method), server.base_path + target, 11};
    request.set(http::field::host, server.host + ":" + std::to_string(server.port));
    request.set(http::field::user_agent, "parkchat");
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    HttpReply reply{static_cast<int>(response.result_int()), response.body(), std::string(response[http::field::content_type]),
                    std::string(response[http::field::etag]), std::string(response[http::field::cache_control])};
    for (const auto& field : response) reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    return reply;
  } catch (const boost::system::system_error& e) {
    return fail(Errc::unavailable, "cannot reach " + where + ": " + e.code().message());
  } catch (const std::exception& e) {
    return fail(Errc::unavailable, "cannot reach " + where + ": " + e.what());
  }
}

}  // namespace parkchat::client
