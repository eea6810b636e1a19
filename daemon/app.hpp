#pragma once
// `parkchat serve`: brings up what the settings ask for (the embedded NATS and PostgreSQL when
// no URLs are given), applies migrations, runs the roles, and on SIGINT/SIGTERM stops
// everything in the reverse order of start.

#include <ostream>

#include "core/config/settings.hpp"

namespace parkchat::daemon {

// Runs until SIGINT or SIGTERM. Prints what it started to `out`. Returns the exit code.
// Call from the main thread before any other thread starts: it blocks SIGINT and SIGTERM so that
// every thread inherits the mask and the signals are taken by sigwait.
int run_serve(const config::Settings& settings, std::ostream& out);

}  // namespace parkchat::daemon
