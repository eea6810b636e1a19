#pragma once
// The REST calls the operator commands make (CONTRACT §3), as a user with a token: the
// envelope opened, a refusal returned as the server's error code and message. RATE_LIMITED
// with a short retryAfterMs is waited out and the call made again. Blocking.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/error.hpp"
#include "core/client/http_client.hpp"

namespace parkchat::client {

class RestClient {
 public:
  RestClient(ServerUrl server, std::string token) : servers_{std::move(server)}, token_(std::move(token)) {}
  // Several gateways of one deployment: a call that cannot reach one (UNAVAILABLE) is made
  // through the next, which then serves the calls after it.
  RestClient(std::vector<ServerUrl> servers, std::string token) : servers_(std::move(servers)), token_(std::move(token)) {}

  // POST /rooms: {type, name, participant_ids, booking_id?}; the room.
  Result<nlohmann::json> create_room(const std::string& type, const std::string& name,
                                     const std::vector<std::int64_t>& participants, std::optional<std::int64_t> booking_id = {});
  // GET /rooms: the caller's rooms, newest activity first, each with its lastMessage.
  Result<nlohmann::json> rooms();
  // POST /rooms/:id/messages; the stored message (and "duplicate": true when the id was stored before).
  Result<nlohmann::json> send_message(const std::string& room_id, const std::string& id, const std::string& content,
                                      const std::string& type);
  // GET /rooms/:id/messages?limit=N[&cursor=C]: {messages (newest first), hasMore, nextCursor}.
  Result<nlohmann::json> history(const std::string& room_id, int limit, const std::optional<std::string>& cursor = {});

  const ServerUrl& server() const { return servers_[current_]; }

 private:
  Result<nlohmann::json> call(const std::string& method, const std::string& target, const std::string& body);
  Result<HttpReply> call_any(const std::string& method, const std::string& target, const std::string& body,
                             const HeaderList& headers);

  std::vector<ServerUrl> servers_;
  std::size_t current_ = 0;
  std::string token_;
};

}  // namespace parkchat::client
