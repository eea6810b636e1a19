#include "core/client/rest_client.hpp"

#include <chrono>
#include <thread>

#include "core/proto/envelope.hpp"

namespace parkchat::client {
namespace {

constexpr int kRateLimitedRetries = 20;
constexpr std::chrono::milliseconds kLongestRetryWait{10'000};

}  // namespace

Result<nlohmann::json> RestClient::call(const std::string& method, const std::string& target, const std::string& body) {
  HeaderList headers = {{"Authorization", "Bearer " + token_}};
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  nlohmann::json envelope;
  // A request refused for the caller's own rate is made again when the server says it may be:
  // every call here is safe to repeat (a send carries its id). Only short waits are taken.
  for (int attempt = 0;; ++attempt) {
    auto reply = call_any(method, "/api/user/chat" + target, body, headers);
    if (!reply) return tl::unexpected(reply.error());
    envelope = nlohmann::json::parse(reply->body, nullptr, false);
    if (envelope.is_discarded()) {
      return fail(Errc::unavailable, server().text() + " answered " + std::to_string(reply->status) + " without JSON");
    }
    std::int64_t retry_ms = -1;
    if (reply->status == 429 && envelope.contains("error") && envelope["error"].is_object()) {
      const auto& hint = envelope["error"].find("retryAfterMs");
      if (hint != envelope["error"].end() && hint->is_number_integer()) retry_ms = hint->get<std::int64_t>();
    }
    if (retry_ms < 0 || retry_ms > kLongestRetryWait.count() || attempt >= kRateLimitedRetries) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(retry_ms));
  }
  auto data = proto::open_envelope(envelope);
  if (data && envelope.contains("duplicate") && data->is_object()) (*data)["duplicate"] = envelope["duplicate"];
  return data;
}

Result<HttpReply> RestClient::call_any(const std::string& method, const std::string& target, const std::string& body,
                                       const HeaderList& headers) {
  Result<HttpReply> reply = fail(Errc::unavailable, "no server");
  for (std::size_t tried = 0; tried < servers_.size(); ++tried) {
    reply = http_call(servers_[current_], method, target, body, headers);
    if (reply) return reply;
    current_ = (current_ + 1) % servers_.size();
  }
  return reply;
}

Result<nlohmann::json> RestClient::create_room(const std::string& type, const std::string& name,
                                               const std::vector<std::int64_t>& participants,
                                               std::optional<std::int64_t> booking_id) {
  nlohmann::json body = {{"type", type}, {"name", name}, {"participant_ids", participants}};
  if (booking_id) body["booking_id"] = *booking_id;
  return call("POST", "/rooms", body.dump());
}

Result<nlohmann::json> RestClient::rooms() { return call("GET", "/rooms", ""); }

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
