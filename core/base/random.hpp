#pragma once
// Secrets and unique names from the operating system's random source.

#include <cstddef>
#include <string>

namespace parkchat {

// n random bytes as 2n lowercase hex digits, from getrandom(2).
std::string random_hex(std::size_t n);

}  // namespace parkchat
