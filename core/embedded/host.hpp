#pragma once
// Small facts about this host that the embedded servers need: loopback ports, and files handed
// over to the user the servers run as.

#include <filesystem>
#include <optional>
#include <string>

#include "core/base/error.hpp"
#include "core/embedded/child_process.hpp"

namespace parkchat::embedded {

// A TCP port on 127.0.0.1 held by this process until the object goes: a socket bound with
// SO_REUSEADDR that never listens. Connecting to it is refused, and the kernel gives the port to
// no other socket (no bind to port 0, no outgoing connection, no bind without SO_REUSEADDR), but
// a server that sets SO_REUSEADDR (nats-server, PostgreSQL, serve) can listen on it, stop, and
// listen again. A port merely found free (bind to 0, close) can be taken by another process
// before our server binds it, and a readiness check would then find that process's server.
class PortReservation {
 public:
  static Result<PortReservation> reserve();
  // A reservation when `port` is 0 (a free one); none for a port the caller chose (and holds).
  static Result<std::optional<PortReservation>> reserve_unless(int port);
  PortReservation(PortReservation&& other) noexcept;
  PortReservation& operator=(PortReservation&& other) noexcept;
  PortReservation(const PortReservation&) = delete;
  PortReservation& operator=(const PortReservation&) = delete;
  ~PortReservation();

  int port() const { return port_; }
  // "127.0.0.1:PORT", as --listen takes it.
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  PortReservation(int fd, int port) : fd_(fd), port_(port) {}
  int fd_ = -1;
  int port_ = 0;
};

// Creates dir (and parents) and, when run_as is set, gives dir and everything below it to that
// user. Fails, naming the path, when run_as cannot reach dir (e.g. under /root).
Result<void> prepare_dir(const std::filesystem::path& dir, const std::optional<RunAs>& run_as, int mode = 0700);

}  // namespace parkchat::embedded
