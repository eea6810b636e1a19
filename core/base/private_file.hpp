#pragma once
// Files that hold secrets (passwords, the JWT secret): created 0600 from the start, written to a
// temporary name and renamed, so that no reader ever sees a partial or world-readable file.

#include <filesystem>

#include "core/base/error.hpp"

namespace parkchat {

Result<void> write_private_file(const std::filesystem::path& path, const std::string& content);

}  // namespace parkchat
