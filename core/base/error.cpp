#include "core/base/error.hpp"

namespace parkchat {

std::string_view code_name(Errc code) {
  switch (code) {
    case Errc::unauthorized: return "UNAUTHORIZED";
    case Errc::forbidden: return "FORBIDDEN";
    case Errc::not_found: return "NOT_FOUND";
    case Errc::validation: return "VALIDATION";
    case Errc::conflict: return "CONFLICT";
    case Errc::payload_too_large: return "PAYLOAD_TOO_LARGE";
    case Errc::rate_limited: return "RATE_LIMITED";
    case Errc::unavailable: return "UNAVAILABLE";
    case Errc::internal: return "INTERNAL";
  }
  return "INTERNAL";
}

int http_status(Errc code) {
  switch (code) {
    case Errc::unauthorized: return 401;
    case Errc::forbidden: return 403;
    case Errc::not_found: return 404;
    case Errc::validation: return 400;
    case Errc::conflict: return 409;
    case Errc::payload_too_large: return 413;
    case Errc::rate_limited: return 429;
    case Errc::unavailable: return 503;
    case Errc::internal: return 500;
  }
  return 500;
}

}  // namespace parkchat
