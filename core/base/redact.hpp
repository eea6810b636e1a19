#pragma once
// Credentials out of everything printed: the banner, log lines, /stats, /readyz, error messages
// and `parkchat stats`. One function for every place, so that no path prints a secret that
// another path hides.

#include <string>
#include <string_view>

namespace parkchat {

// `text` with every credential replaced by "***": the password of any URL with user info
// (`scheme://user:pass@host`, any scheme, each URL of a comma-separated list; a user part
// alone, `nats://token@host`, is a token and is hidden whole) and the value of every
// `password=` (libpq key/value strings, also quoted, and URL query parameters).
std::string redact_credentials(std::string_view text);

}  // namespace parkchat
