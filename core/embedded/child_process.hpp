#pragma once
// A child process started with fork/exec: optionally as another user, in its own process group
// (so a terminal's Ctrl-C reaches only parkchat, which then stops its children in order), with
// output appended to a file, and with a parent-death signal so it stops when we die.
//
// The parent-death signal fires when the *thread* that spawned the child exits, so spawn from a
// thread that lives as long as the child should (main).

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/base/error.hpp"

namespace parkchat::embedded {

// A system user to run a child as (root runs PostgreSQL as `postgres`).
struct RunAs {
  std::string name;
  uid_t uid;
  gid_t gid;
};

// The `postgres` user when we are root; nullopt when not root. Error when root and no such user.
Result<std::optional<RunAs>> service_user();

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is an absolute path
  std::optional<RunAs> run_as;
  std::string output_path;        // stdout and stderr appended here; empty: inherit ours
  bool capture_stdout = false;    // stdout to a pipe read through stdout_fd(); stderr as above
  int death_signal = 15;          // SIGTERM by default
  // Environment changes for the child: "NAME=value" sets, "NAME" alone removes.
  std::vector<std::string> env_changes;
};

class ChildProcess {
 public:
  static Result<ChildProcess> spawn(const SpawnOptions& options);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills (SIGKILL) and reaps a child that is still running.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // The read end of the stdout pipe, or -1.
  int stdout_fd() const { return stdout_fd_; }

  // The exit status if the child has ended: the exit code, or 128 + signal.
  std::optional<int> poll();
  // Waits up to `timeout` for the child to end.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  // Sends `signal`, waits up to `grace`, then SIGKILLs. Returns the exit status.
  int stop(int signal, std::chrono::milliseconds grace);

 private:
  ChildProcess(pid_t pid, int stdout_fd) : pid_(pid), stdout_fd_(stdout_fd) {}
  void reset();
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::optional<int> status_;
};

// Runs a command to completion and returns its exit status (or an error if it cannot start).
Result<int> run_to_completion(const SpawnOptions& options, std::chrono::milliseconds timeout);

// Waits up to `timeout` for any process (not only a child) to end; true when it has.
bool wait_for_exit(pid_t pid, std::chrono::milliseconds timeout);

// The first of `names` found on PATH or in `extra_dirs`, as an absolute path.
std::optional<std::string> find_program(const std::vector<std::string>& names,
                                        const std::vector<std::string>& extra_dirs = {});

// The last `max_lines` lines of a text file, for error messages about a failed server.
std::string tail_of_file(const std::string& path, int max_lines = 15);
// Whether any line of a text file contains `needle`.
bool file_mentions(const std::string& path, std::string_view needle);

}  // namespace parkchat::embedded
