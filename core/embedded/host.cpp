#include "core/embedded/host.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace parkchat::embedded {
namespace fs = std::filesystem;

Result<std::optional<PortReservation>> PortReservation::reserve_unless(int port) {
  if (port != 0) return std::optional<PortReservation>();
  auto reserved = reserve();
  if (!reserved) return tl::unexpected(reserved.error());
  return std::optional<PortReservation>(std::move(*reserved));
}

Result<PortReservation> PortReservation::reserve() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(Errc::unavailable, std::string("socket: ") + std::strerror(errno));
  const int on = 1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t length = sizeof addr;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    int saved = errno;
    ::close(fd);
    return fail(Errc::unavailable, std::string("cannot reserve a port on 127.0.0.1: ") + std::strerror(saved));
  }
  return PortReservation(fd, ntohs(addr.sin_port));
}

PortReservation::PortReservation(PortReservation&& other) noexcept : fd_(other.fd_), port_(other.port_) {
  other.fd_ = -1;
}

PortReservation& PortReservation::operator=(PortReservation&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    port_ = other.port_;
    other.fd_ = -1;
  }
  return *this;
}

PortReservation::~PortReservation() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> prepare_dir(const fs::path& dir, const std::optional<RunAs>& run_as, int mode) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(Errc::unavailable, "cannot create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), static_cast<mode_t>(mode));
  if (!run_as) return {};

  // Every ancestor must let the service user through, or its server fails with a bare EACCES.
  fs::path absolute = fs::absolute(dir, ec);
  for (fs::path p = absolute.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      bool passes = (st.st_mode & S_IXOTH) || (st.st_uid == run_as->uid && (st.st_mode & S_IXUSR)) ||
                    (st.st_gid == run_as->gid && (st.st_mode & S_IXGRP));
      if (!passes) {
        return fail(Errc::unavailable, "the " + run_as->name + " user cannot enter " + p.string() +
                                           " to reach " + dir.string() + "; choose a --data-dir outside it");
      }
    }
    if (p == p.root_path()) break;
  }
  auto give = [&](const fs::path& p) { return ::lchown(p.c_str(), run_as->uid, run_as->gid) == 0; };
  if (!give(dir)) return fail(Errc::unavailable, "cannot give " + dir.string() + " to " + run_as->name + ": " + std::strerror(errno));
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!give(it->path())) {
      return fail(Errc::unavailable, "cannot give " + it->path().string() + " to " + run_as->name + ": " + std::strerror(errno));
    }
  }
  return {};
}

}  // namespace parkchat::embedded
