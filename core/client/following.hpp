#pragma once
// What `tail`'s two followers (one room: RoomFollower; every room of a user: UserFollower)
// share: the events they hand out, their options, and how their socket connects and speaks of
// a lost connection.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/client/socketio_client.hpp"

namespace parkchat::client {

struct RoomEvent {
  enum class Kind {
    message,       // data: the message (CONTRACT §3)
    typing,        // data: {roomId, userId, userName, isTyping}
    user_joined,   // data: {roomId, userId, userName}
    user_left,     // data: {roomId, userId}
    connected,     // joined (again); text says so
    disconnected,  // text: why, and when the next attempt is
    fatal,         // text: the error (refused token, not a member); following has ended
  };
  Kind kind;
  nlohmann::json data;
  std::string text;
  std::string room_name = {};  // of a message, when one follower follows several rooms
};

struct FollowOptions {
  int backlog = 50;  // messages of history shown first
  std::chrono::milliseconds reconnect_first{3000};
  std::chrono::milliseconds reconnect_max{30000};
};

// The follower's socket: the deployment's gateways in turn, reconnecting with the seed's
// backoff (`options`), signing in with `token`.
SocketIoOptions follow_socket_options(const std::vector<ServerUrl>& servers, const std::string& token,
                                      const FollowOptions& options);
// What a follower says of a refused sign-in (CONNECT_ERROR data) and of a lost connection.
std::string refusal_text(const nlohmann::json& data);
std::string lost_connection_text(const std::string& reason, std::optional<std::chrono::milliseconds> retry_in);

}  // namespace parkchat::client
