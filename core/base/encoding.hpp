#pragma once
// Byte encodings and digests, from OpenSSL: base64 (Engine.IO's binary packets, CSP hashes) and
// SHA-256 (migration checksums, CSP hashes).

#include <optional>
#include <string>
#include <string_view>

namespace parkchat {

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not base64 (its length not a multiple of 4, or a foreign character).
std::optional<std::string> base64_decode(std::string_view text);

// The 32 bytes of the digest, and the same in lowercase hex.
std::string sha256(std::string_view data);
std::string sha256_hex(std::string_view data);

}  // namespace parkchat
