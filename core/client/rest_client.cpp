#include "core/client/rest_client.hpp"

#include "core/proto/envelope.hpp"

namespace parkchat::client {

Result<nlohmann::json> RestClient::call(const std::string& method, const std::string& target, const std::string& body) {
  HeaderList headers = {{"Authorization", "Bearer " + token_}};
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  auto reply = http_call(server_, method, "/api/user/chat" + target, body, headers);
  if (!reply) return tl::unexpected(reply.error());
  auto envelope = nlohmann::json::parse(reply->body, nullptr, false);
  if (envelope.is_discarded()) {
    return fail(Errc::unavailable, server_.text() + " answered " + std::to_string(reply->status) + " without JSON");
  }
  auto data = proto::open_envelope(envelope);
  if (data && envelope.contains("duplicate") && data->is_object()) (*data)["duplicate"] = envelope["duplicate"];
  return data;
}

Result<nlohmann::json> RestClient::create_room(const std::string& type, const std::string& name,
                                               const std::vector<std::int64_t>& participants,
                                               std::optional<std::int64_t> booking_id) {
  nlohmann::json body = {{"type", type}, {"name", name}, {"participant_ids", participants}};
  if (booking_id) body["booking_id"] = *booking_id;
  return call("POST", "/rooms", body.dump());
}

Result<nlohmann::json> RestClient::send_message(const std::string& room_id, const std::string& id,
                                                const std::string& content, const std::string& type) {
  nlohmann::json body = {{"id", id}, {"content", content}, {"message_type", type}};
  return call("POST", "/rooms/" + room_id + "/messages", body.dump());
}

Result<nlohmann::json> RestClient::history(const std::string& room_id, int limit, const std::optional<std::string>& cursor) {
  std::string target = "/rooms/" + room_id + "/messages?limit=" + std::to_string(limit);
  if (cursor) target += "&cursor=" + *cursor;
  return call("GET", target, "");
}

}  // namespace parkchat::client
