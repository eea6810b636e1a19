#pragma once
// Follows one room for `parkchat tail -f`: joins it through the gateway, reconnects with
// exponential backoff (3 s, 6 s, 12 s … 30 s, seed §8.2), rejoins, and after every join fills
// the gap from REST history, so that each message comes out once, in order, across
// disconnections. The caller's thread pulls what happened with next(); REST calls run there.

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/recent_ids.hpp"
#include "core/client/following.hpp"
#include "core/client/inbox.hpp"
#include "core/client/rest_client.hpp"
#include "core/client/socketio_client.hpp"

namespace parkchat::client {

class RoomFollower {
 public:
  // `servers`: the gateways of one deployment, tried in turn after a lost connection.
  RoomFollower(ClientLoop& loop, std::vector<ServerUrl> servers, std::string token, std::string room_id,
               FollowOptions options);
  ~RoomFollower();

  // The last `backlog` messages, oldest first (without following).
  Result<std::vector<nlohmann::json>> backlog();
  // Starts following: the backlog comes first through next(), then live events.
  void start();
  // The next event, waiting up to `timeout`; nullopt on timeout or after stop().
  std::optional<RoomEvent> next(std::chrono::milliseconds timeout);
  // From any thread (a signal handler's thread): next() returns nullopt from now on.
  void stop();

 private:
  enum class Raw { joined, event, lost, refused, join_failed };
  struct RawItem {
    Raw raw;
    std::string name;
    nlohmann::json data;
  };
  // Asks to join; a failure the server may get over (UNAVAILABLE) is retried after a pause.
  void join();
  // After a join (`join_answer`: its ack): history since the last message shown, up to the
  // room's newest message, then what arrived meanwhile.
  void fill_gap(const nlohmann::json& join_answer);
  void emit_message(const nlohmann::json& message);

  ClientLoop& loop_;
  RestClient rest_;
  std::string room_id_;
  struct RetryTimer;
  std::unique_ptr<RetryTimer> retry_;  // loop thread only
  FollowOptions options_;
  std::shared_ptr<SocketIoClient> socket_;
  Inbox<RawItem> raw_;
  std::deque<RoomEvent> ready_;
  RecentIds shown_{4096};
  bool shown_any_ = false;
  std::int64_t last_shown_at_ = 0;  // createdAt of the newest message shown, µs
};

}  // namespace parkchat::client
