#include "core/store/lazy_connection.hpp"

#include <pqxx/pqxx>

#include "core/obs/log.hpp"
#include "core/store/database_url.hpp"

namespace parkchat::store {
namespace {

std::string with_connect_timeout(const std::string& url) {
  if (url.find("connect_timeout") != std::string::npos) return url;
  bool is_uri = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  if (!is_uri) return url + " connect_timeout=5";
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=5";
}

}  // namespace

Result<std::unique_ptr<pqxx::connection>> open_connection(const std::string& url) {
  auto endpoint = parse_database_url(url);
  if (!endpoint) return tl::unexpected(endpoint.error());
  try {
    auto conn = std::make_unique<pqxx::connection>(with_connect_timeout(url));
    // Timestamps are read as microseconds and written as ISO 8601 with a zone; UTC keeps any
    // text the server formats unambiguous.
    conn->set_variable("TimeZone", "'UTC'");
    return conn;
  } catch (const std::exception& e) {
    std::string reason = e.what();
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    for (char& c : reason) {
      if (c == '\n' || c == '\t') c = ' ';
    }
    return fail(Errc::unavailable,
                "cannot connect to PostgreSQL at " + endpoint->describe() + ": " + endpoint->scrub(reason));
  }
}

LazyConnection::LazyConnection(std::string url) : url_(std::move(url)) {}
LazyConnection::~LazyConnection() = default;
LazyConnection::LazyConnection(LazyConnection&&) noexcept = default;

Result<pqxx::connection*> LazyConnection::get() {
  if (conn_ && conn_->is_open()) return conn_.get();
  const bool was_open = conn_ != nullptr;
  auto opened = open_connection(url_);
  if (!opened) {
    conn_.reset();
    // Once an outage, not once a try: a busy pool tries hundreds of times a second.
    if (failed_attempts_++ == 0) obs::logger("store")->warn("database unavailable err={}", opened.error().message);
    return tl::unexpected(opened.error());
  }
  conn_ = std::move(*opened);
  if (was_open || failed_attempts_ > 0) {
    obs::logger("store")->info("database reconnected after {} failed attempts", failed_attempts_);
  }
  failed_attempts_ = 0;
  return conn_.get();
}

void LazyConnection::reset() { conn_.reset(); }

}  // namespace parkchat::store
