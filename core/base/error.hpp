#pragma once
// Error values used inside parkchat: one code per error code of CONTRACT.md §3, mapped to HTTP
// status, Socket.IO error payloads and exit codes in exactly one place (error.cpp).

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace parkchat {

enum class Errc {
  unauthorized,
  forbidden,
  not_found,
  validation,
  conflict,
  payload_too_large,
  rate_limited,
  unavailable,
  internal,
};

struct Error {
  Errc code;
  std::string message;
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

// "NOT_FOUND", "VALIDATION", ... as written in CONTRACT.md.
std::string_view code_name(Errc code);
int http_status(Errc code);

}  // namespace parkchat
