#pragma once
// A JetStream cluster of real nats-servers on loopback, for the fault suite: each member on
// ports reserved for the whole test (so one that is killed comes back where clients and its
// peers expect it), with its store in a scratch directory.

#include <memory>
#include <string>
#include <vector>

#include "core/embedded/nats_server.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {

class NatsCluster {
 public:
  // Starts `size` members and waits until JetStream has a leader.
  explicit NatsCluster(int size);
  ~NatsCluster();

  bool started() const { return started_; }
  std::string error() const { return error_; }
  // Every member's client URL, comma-separated (as --nats-url takes a cluster).
  std::string url() const;
  std::size_t size() const { return members_.size(); }
  const std::string& name_of(std::size_t member) const { return members_.at(member).name; }
  // The member named `server_name`, or size() when none is.
  std::size_t index_of(const std::string& server_name) const;
  // kill -9 of one member; it stays down until start(member).
  void kill(std::size_t member);
  // Starts a killed member again on its ports and store; false (see error()) when it fails.
  bool start(std::size_t member);
  bool running(std::size_t member) const { return members_.at(member).server != nullptr; }

 private:
  struct Member {
    std::string name;
    ReservedPort client_port;
    ReservedPort route_port;
    std::unique_ptr<embedded::NatsServer> server;
  };
  embedded::NatsServerOptions options_for(std::size_t member) const;

  ScratchDir dir_;
  std::vector<Member> members_;
  bool started_ = false;
  std::string error_;
};

}  // namespace parkchat::testing
