#pragma once
// Follows every room of one user for `parkchat tail --all`. Its socket joins no room, so the
// gateway sends it a `notification` for each new message in any of the user's rooms (CONTRACT
// §4), whichever gateway process the sender used. Notices are not kept for a socket that is
// away: after every (re)connect the room list names each room's newest message, and each room
// with one not shown yet is filled from history, back to the last message shown there, or to
// the moment following began. Each message comes out once; across rooms, in arrival order.
//
// A gateway's notifier learns that a socket is online from the presence event its connect
// publishes; a message sent in the moment before it did is not noticed. So the rooms are read
// again `settle` after each connect, and then "caught up" is said.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/recent_ids.hpp"
#include "core/client/inbox.hpp"
#include "core/client/rest_client.hpp"
#include "core/client/room_follower.hpp"
#include "core/client/socketio_client.hpp"

namespace parkchat::client {

class UserFollower {
 public:
  UserFollower(ClientLoop& loop, std::vector<ServerUrl> servers, std::string token, FollowOptions options,
               std::chrono::milliseconds settle = std::chrono::seconds(2));
  ~UserFollower();

  // The last message of each of the `rooms` most recently active rooms, oldest first, as
  // message events; following does not show them again.
  Result<std::vector<RoomEvent>> latest(int room_count);
  // Starts following; events come through next(): messages (room_name set), connected (on
  // each connect, and "caught up" after its second reading), disconnected, fatal.
  void start();
  std::optional<RoomEvent> next(std::chrono::milliseconds timeout);
  // From any thread: next() returns nullopt from now on.
  void stop();

 private:
  enum class Raw { connected, notification, lost, refused };
  struct RawItem {
    Raw raw;
    std::string text;
    nlohmann::json data;
  };
  // After a connect: every room whose newest message is newer than what was shown there.
  void fill_gaps();
  // The user's rooms, newest activity first (GET /rooms); their names are remembered.
  Result<nlohmann::json> rooms();
  void emit_message(const nlohmann::json& message, bool from_history);
  std::string room_name(const std::string& room_id);

  ClientLoop& loop_;
  RestClient rest_;
  std::shared_ptr<SocketIoClient> socket_;
  Inbox<RawItem> raw_;
  std::deque<RoomEvent> ready_;
  RecentIds shown_{65536};
  const std::chrono::milliseconds settle_;
  std::optional<std::chrono::steady_clock::time_point> settle_at_;  // the second reading is due
  const std::int64_t started_at_;                      // µs; nothing older is shown
  std::map<std::string, std::int64_t> last_shown_at_;  // room id → createdAt of its newest shown, µs
  std::map<std::string, std::string> names_;           // room id → name, from the room list
};

}  // namespace parkchat::client
