#include "daemon/api/web_app.hpp"

#include <fstream>
#include <functional>
#include <sstream>

#include "core/base/encoding.hpp"
#include "daemon/api/embedded_web.hpp"

namespace parkchat::api {
namespace {

std::string content_type(const std::string& path) {
  auto ends_with = [&](const char* suffix) {
    const std::string s(suffix);
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

// A strong validator of the bytes (FNV-1a, 64 bits): equal bytes, equal tag, in any process.
std::string etag_of(std::string_view content) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : content) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char text[24];
  std::snprintf(text, sizeof text, "\"%016llx\"", static_cast<unsigned long long>(h));
  return text;
}

// The page's Content-Security-Policy: its own origin only (the socket's WebSocket included), no
// inline script but the import map, allowed by its hash: a message that got into the page as
// markup could run nothing.
std::string content_security_policy(std::string_view html) {
  std::string script_src = "'self'";
  for (std::size_t at = html.find("<script"); at != std::string_view::npos; at = html.find("<script", at + 1)) {
    const std::size_t open_end = html.find('>', at);
    if (open_end == std::string_view::npos) break;
    if (html.substr(at, open_end - at).find(" src=") != std::string_view::npos) continue;
    const std::size_t close = html.find("</script>", open_end);
    if (close == std::string_view::npos) break;
    script_src += " 'sha256-" + base64_encode(sha256(html.substr(open_end + 1, close - open_end - 1))) + "'";
  }
  return "default-src 'self'; script-src " + script_src +
         "; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
         "form-action 'self'; frame-ancestors 'none'";
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

WebApp WebApp::embedded() {
  WebApp app;
  for (const EmbeddedWebFile& f : embedded_web_files()) {
    app.files_[std::string(f.path)] = File{std::string(f.content), etag_of(f.content), {}};
  }
  return app;
}

Result<WebApp> WebApp::from_dir(const std::filesystem::path& dir) {
  WebApp app;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string type = content_type(name);
    if (entry.is_regular_file() && type != "application/octet-stream") app.files_["/" + name] = File{{}, {}, entry.path()};
  }
  if (ec) return fail(Errc::not_found, "--web-dir " + dir.string() + ": " + ec.message());
  if (app.files_.count("/index.html") == 0) return fail(Errc::not_found, "--web-dir " + dir.string() + " has no index.html");
  // The library files, as web/vendor.txt names them (cmake/embed_web.cmake reads the same).
  std::ifstream vendor(dir / "vendor.txt");
  if (!vendor) return fail(Errc::not_found, "--web-dir " + dir.string() + " has no vendor.txt");
  std::string line;
  for (int number = 1; std::getline(vendor, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name, source;
    if (!(fields >> name >> source)) {
      return fail(Errc::validation, (dir / "vendor.txt").string() + ":" + std::to_string(number) + ": expected NAME PATH");
    }
    const auto file = dir / "node_modules" / source;
    if (!std::filesystem::exists(file)) {
      return fail(Errc::not_found, file.string() + " is missing: run `npm ci --prefix " + dir.string() + "`");
    }
    app.files_["/vendor/" + name] = File{{}, {}, file};
  }
  return app;
}

bool WebApp::serves(const web::HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") return false;
  return request.path == "/" || files_.count(request.path) != 0;
}

web::HttpResponse WebApp::handle(const web::HttpRequest& request) const {
  const std::string path = request.path == "/" ? "/index.html" : request.path;
  const File& file = files_.at(path);
  std::string content = file.content;
  std::string etag = file.etag;
  if (!file.source.empty()) {
    auto read = read_file(file.source);
    if (!read) return {404, R"({"success":false,"error":{"code":"NOT_FOUND","message":"file gone"}})", "application/json", {}};
    content = std::move(*read);
    etag = etag_of(content);
  }
  std::vector<std::pair<std::string, std::string>> headers = {
      {"ETag", etag}, {"Cache-Control", "no-cache"}, {"X-Content-Type-Options", "nosniff"}};
  if (content_type(path).rfind("text/html", 0) == 0) {
    headers.emplace_back("Content-Security-Policy", content_security_policy(content));
    headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  if (request.header("if-none-match") == etag) return {304, "", content_type(path), std::move(headers)};
  if (request.method == "HEAD") content.clear();
  return {200, std::move(content), content_type(path), std::move(headers)};
}

}  // namespace parkchat::api
