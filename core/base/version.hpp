#pragma once
// The version of this build, as set by CMake's project().

#include <string_view>

namespace parkchat {

constexpr std::string_view kVersion = PARKCHAT_VERSION;

}  // namespace parkchat
