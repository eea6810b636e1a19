#pragma once
// Every socket is a file descriptor: processes that hold thousands take all they may have.

namespace parkchat {

// Raises the soft limit on open files to the hard limit; returns the limit now in force.
long raise_open_file_limit();

}  // namespace parkchat
