#include "core/client/following.hpp"

namespace parkchat::client {

SocketIoOptions follow_socket_options(const std::vector<ServerUrl>& servers, const std::string& token,
                                      const FollowOptions& options) {
  SocketIoOptions socket_options;
  socket_options.server = servers.front();
  socket_options.other_servers.assign(servers.begin() + 1, servers.end());
  socket_options.auth = {{"token", token}};
  socket_options.reconnect = true;
  socket_options.reconnect_first = options.reconnect_first;
  socket_options.reconnect_max = options.reconnect_max;
  return socket_options;
}

std::string refusal_text(const nlohmann::json& data) { return "UNAUTHORIZED: " + data.value("message", data.dump()); }

std::string lost_connection_text(const std::string& reason, std::optional<std::chrono::milliseconds> retry_in) {
  std::string text = "connection lost: " + reason;
  if (retry_in) text += "; reconnecting in " + std::to_string((retry_in->count() + 999) / 1000) + " s";
  return text;
}

}  // namespace parkchat::client
