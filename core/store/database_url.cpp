#include "core/store/database_url.hpp"

#include <libpq-fe.h>

#include <memory>

namespace parkchat::store {
namespace {

std::string first_of_list(const std::string& value) {
  // libpq accepts comma-separated hosts; messages name the first.
  auto comma = value.find(',');
  return comma == std::string::npos ? value : value.substr(0, comma);
}

std::string scrub_text(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
    text.replace(at, secret.size(), "***");
  }
  return text;
}

}  // namespace

std::string DatabaseEndpoint::describe() const {
  return host + ":" + port + " (database " + dbname + ", user " + user + ")";
}

std::string DatabaseEndpoint::scrub(std::string text) const { return scrub_text(std::move(text), password); }

Result<DatabaseEndpoint> parse_database_url(const std::string& url) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse(url.c_str(), &error),
                                                                        &PQconninfoFree);
  if (!options) {
    std::string reason = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
    // The reason may quote part of the URL; drop anything between ':' and '@' that looks like a
    // password by scrubbing the whole user-info part.
    auto at = url.find('@');
    auto scheme = url.find("://");
    if (at != std::string::npos && scheme != std::string::npos && scheme < at) {
      reason = scrub_text(reason, url.substr(scheme + 3, at - scheme - 3));
    }
    return fail(Errc::validation, "invalid database URL: " + reason);
  }
  DatabaseEndpoint endpoint;
  for (PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    std::string value = o->val != nullptr ? o->val : "";
    std::string keyword = o->keyword;
    if (keyword == "host" || (keyword == "hostaddr" && endpoint.host.empty())) {
      endpoint.host = first_of_list(value);
    } else if (keyword == "port") {
      endpoint.port = first_of_list(value);
    } else if (keyword == "dbname") {
      endpoint.dbname = value;
    } else if (keyword == "user") {
      endpoint.user = value;
    } else if (keyword == "password") {
      endpoint.password = value;
    }
  }
  if (endpoint.host.empty()) endpoint.host = "localhost";
  if (endpoint.port.empty()) endpoint.port = "5432";
  if (endpoint.dbname.empty()) endpoint.dbname = endpoint.user;
  return endpoint;
}

}  // namespace parkchat::store
