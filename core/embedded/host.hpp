#pragma once
// Small facts about this host that the embedded servers need: a free loopback port, and files
// handed over to the user the servers run as.

#include <filesystem>
#include <optional>

#include "core/base/error.hpp"
#include "core/embedded/child_process.hpp"

namespace parkchat::embedded {

// A TCP port on 127.0.0.1 that was free a moment ago. Another process may take it before the
// server binds it, so callers retry with a new port when the server fails to start.
Result<int> free_loopback_port();

// Creates dir (and parents) and, when run_as is set, gives dir and everything below it to that
// user. Fails, naming the path, when run_as cannot reach dir (e.g. under /root).
Result<void> prepare_dir(const std::filesystem::path& dir, const std::optional<RunAs>& run_as, int mode = 0700);

}  // namespace parkchat::embedded
