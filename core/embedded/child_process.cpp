#include "core/embedded/child_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace parkchat::embedded {
namespace {

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

int open_pidfd(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// Waits until the pidfd is readable (the process ended) or the timeout passes.
bool wait_pidfd(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::vector<std::string> child_environment(const std::vector<std::string>& changes) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  for (const std::string& change : changes) {
    const std::string name = change.substr(0, change.find('='));
    env.erase(std::remove_if(env.begin(), env.end(),
                             [&](const std::string& e) { return e.compare(0, name.size() + 1, name + "=") == 0; }),
              env.end());
    if (change.find('=') != std::string::npos) env.push_back(change);
  }
  return env;
}

[[noreturn]] void child_fail(int fd, const char* what) {
  // Only async-signal-safe calls between fork and exec.
  const char* reason = strerror(errno);
  (void)!write(fd, "parkchat: ", 10);
  (void)!write(fd, what, strlen(what));
  (void)!write(fd, ": ", 2);
  (void)!write(fd, reason, strlen(reason));
  (void)!write(fd, "\n", 1);
  _exit(127);
}

}  // namespace

Result<std::optional<RunAs>> service_user() {
  if (geteuid() != 0) return std::optional<RunAs>{};
  passwd* pw = getpwnam("postgres");
  if (pw == nullptr) {
    return fail(Errc::unavailable,
                "running as root, but there is no `postgres` user to run PostgreSQL and NATS as "
                "(install the postgresql package, or run as an ordinary user)");
  }
  return std::optional<RunAs>(RunAs{"postgres", pw->pw_uid, pw->pw_gid});
}

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& options) {
  std::vector<char*> argv;
  for (const std::string& arg : options.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  // The child's environment is built here: between fork and exec nothing may allocate.
  std::vector<std::string> env_storage = child_environment(options.env_changes);
  std::vector<char*> envp;
  for (std::string& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  int out_fd = -1;
  if (!options.output_path.empty()) {
    out_fd = ::open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (out_fd < 0) {
      return fail(Errc::unavailable, "cannot open " + options.output_path + ": " + std::strerror(errno));
    }
  }
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int pipe_fds[2] = {-1, -1};
  if (options.capture_stdout && ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return fail(Errc::unavailable, std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    if (out_fd >= 0) ::close(out_fd);
    ::close(null_fd);
    return fail(Errc::unavailable, "cannot start " + options.argv[0] + ": fork: " + std::strerror(saved));
  }
  if (pid == 0) {
    int diag = out_fd >= 0 ? out_fd : STDERR_FILENO;
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) signal(sig, SIG_DFL);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    if (out_fd >= 0) {
      dup2(out_fd, STDOUT_FILENO);
      dup2(out_fd, STDERR_FILENO);
    }
    if (options.capture_stdout) dup2(pipe_fds[1], STDOUT_FILENO);
    // Nothing else of ours goes with it: an inherited socket would outlive our close of it (a
    // listening port still bound after we are gone, a connection we reset left open), and an
    // inherited pipe would hide its writer's end.
    diag = STDERR_FILENO;
    close_range(3, ~0U, 0);
    if (options.run_as) {
      if (setgroups(0, nullptr) != 0) child_fail(diag, "setgroups");
      if (setgid(options.run_as->gid) != 0) child_fail(diag, "setgid");
      if (setuid(options.run_as->uid) != 0) child_fail(diag, "setuid");
    }
    // After setuid: changing credentials clears the parent-death signal.
    if (prctl(PR_SET_PDEATHSIG, options.death_signal) != 0) child_fail(diag, "prctl");
    if (getppid() != parent) _exit(1);  // the parent died before prctl took effect
    execve(argv[0], argv.data(), envp.data());
    child_fail(diag, argv[0]);
  }
  if (out_fd >= 0) ::close(out_fd);
  if (null_fd >= 0) ::close(null_fd);
  if (options.capture_stdout) ::close(pipe_fds[1]);
  return ChildProcess(pid, options.capture_stdout ? pipe_fds[0] : -1);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), stdout_fd_(other.stdout_fd_), status_(other.status_) {
  other.pid_ = -1;
  other.stdout_fd_ = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    reset();
    pid_ = other.pid_;
    stdout_fd_ = other.stdout_fd_;
    status_ = other.status_;
    other.pid_ = -1;
    other.stdout_fd_ = -1;
  }
  return *this;
}

ChildProcess::~ChildProcess() { reset(); }

void ChildProcess::reset() {
  if (pid_ > 0 && !poll()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  pid_ = -1;
  stdout_fd_ = -1;
}

std::optional<int> ChildProcess::poll() {
  if (status_ || pid_ <= 0) return status_;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) status_ = decode_status(status);
  return status_;
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  if (poll()) return status_;
  int fd = open_pidfd(pid_);
  if (fd >= 0) {
    wait_pidfd(fd, timeout);
    ::close(fd);
    return poll();
  }
  // No pidfd (old kernel): fall back to polling the child's state.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!poll() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

int ChildProcess::stop(int signal, std::chrono::milliseconds grace) {
  if (poll()) return *status_;
  ::kill(pid_, signal);
  if (auto status = wait_for(grace)) return *status;
  ::kill(pid_, SIGKILL);
  if (auto status = wait_for(std::chrono::seconds(10))) return *status;
  return 128 + SIGKILL;
}

Result<int> run_to_completion(const SpawnOptions& options, std::chrono::milliseconds timeout) {
  auto child = ChildProcess::spawn(options);
  if (!child) return tl::unexpected(child.error());
  if (auto status = child->wait_for(timeout)) return *status;
  child->stop(SIGKILL, std::chrono::seconds(5));
  return fail(Errc::unavailable, options.argv[0] + " did not finish within " +
                                     std::to_string(timeout.count() / 1000) + " s");
}

bool wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
  int fd = open_pidfd(pid);
  if (fd < 0) return errno == ESRCH;
  bool ended = wait_pidfd(fd, timeout);
  ::close(fd);
  return ended;
}

std::optional<std::string> find_program(const std::vector<std::string>& names,
                                        const std::vector<std::string>& extra_dirs) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream in(path);
    for (std::string dir; std::getline(in, dir, ':');) {
      if (!dir.empty()) dirs.push_back(dir);
    }
  }
  dirs.insert(dirs.end(), extra_dirs.begin(), extra_dirs.end());
  for (const std::string& name : names) {
    for (const std::string& dir : dirs) {
      std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return std::filesystem::absolute(candidate).string();
    }
  }
  return std::nullopt;
}

std::string tail_of_file(const std::string& path, int max_lines) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (static_cast<int>(lines.size()) > max_lines) lines.pop_front();
  }
  std::string out;
  for (const std::string& line : lines) out += "\n    " + line;
  return out;
}

bool file_mentions(const std::string& path, std::string_view needle) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace parkchat::embedded
