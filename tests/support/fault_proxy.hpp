#pragma once
// A TCP proxy that breaks the network on command, for the fault suite: between clients and a
// gateway, or between parkchat and NATS or PostgreSQL. It forwards every connection to its
// target until told to reset them all and refuse new ones for a while, to blackhole them (no
// byte forwarded either way, nothing reset: TCP holds the bytes, as on a path that drops
// packets until it recovers), or to slow every chunk down. Runs its own thread.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace parkchat::testing {

class FaultProxy {
 public:
  // Listens on a free loopback port; forwards to 127.0.0.1:`target_port`.
  explicit FaultProxy(int target_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const;
  std::string url() const;  // http://127.0.0.1:PORT

  // Resets every connection now (RST both ways), and resets new ones as they come for `span`.
  void reset_and_refuse(std::chrono::milliseconds span);
  // Forwards nothing for `span`; the connections stay open.
  void blackhole(std::chrono::milliseconds span);
  // Holds every chunk `delay` before forwarding it, from now on (zero: at once again).
  void slow(std::chrono::milliseconds delay);

  std::size_t connections_seen() const;  // accepted since start
  std::size_t connections_reset() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace parkchat::testing
