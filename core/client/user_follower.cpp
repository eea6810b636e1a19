#include "core/client/user_follower.hpp"

#include <algorithm>
#include <future>

#include "core/base/clock.hpp"
#include "core/client/catch_up.hpp"

namespace parkchat::client {
namespace {

constexpr int kPageSize = 100;
constexpr int kMaxGapPages = 20;

std::optional<std::string> string_field(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

UserFollower::UserFollower(ClientLoop& loop, std::vector<ServerUrl> servers, std::string token, FollowOptions options,
                           std::chrono::milliseconds settle)
    : loop_(loop), rest_(servers, token), settle_(settle), started_at_(now_micros()) {
  SocketIoHandlers handlers;
  handlers.connected = [this](const nlohmann::json&) { raw_.push({Raw::connected, "", {}}); };
  handlers.refused = [this](const nlohmann::json& data) {
    raw_.push({Raw::refused, refusal_text(data), {}});
  };
  handlers.disconnected = [this](const std::string& reason, std::optional<std::chrono::milliseconds> retry_in) {
    raw_.push({Raw::lost, lost_connection_text(reason, retry_in), {}});
  };
  handlers.event = [this](const std::string& event, const nlohmann::json& args) {
    if (event == "notification" && !args.empty()) raw_.push({Raw::notification, "", args[0]});
  };
  socket_ = SocketIoClient::create(loop, follow_socket_options(servers, token, options), handlers);
}

// As RoomFollower's: once the loop has run what was queued before the close, nothing calls back.
UserFollower::~UserFollower() {
  socket_->close();
  std::promise<void> drained;
  loop_.post([&] { drained.set_value(); });
  drained.get_future().wait();
}

Result<nlohmann::json> UserFollower::rooms() {
  auto list = rest_.rooms();
  if (!list) return list;
  if (!list->is_array()) return fail(Errc::internal, rest_.server().text() + " answered a room list that is not an array");
  for (const auto& room : *list) {
    auto id = string_field(room, "id");
    if (!id) continue;
    auto name = string_field(room, "name");
    names_[*id] = name && !name->empty() ? *name : *id;
  }
  return list;
}

Result<std::vector<RoomEvent>> UserFollower::latest(int room_count) {
  auto list = rooms();
  if (!list) return tl::unexpected(list.error());
  std::vector<RoomEvent> newest_first;
  for (const auto& room : *list) {
    if (static_cast<int>(newest_first.size()) >= room_count) break;
    auto room_id = string_field(room, "id");
    auto message_id = room.contains("lastMessage") ? string_field(room["lastMessage"], "id") : std::nullopt;
    if (!room_id || !message_id) continue;
    shown_.insert(*message_id);
    newest_first.push_back({RoomEvent::Kind::message, room["lastMessage"], "", names_[*room_id]});
  }
  return std::vector<RoomEvent>(newest_first.rbegin(), newest_first.rend());
}

void UserFollower::start() { socket_->connect(); }

void UserFollower::stop() { raw_.stop(); }

std::string UserFollower::room_name(const std::string& room_id) {
  auto it = names_.find(room_id);
  if (it != names_.end()) return it->second;
  (void)rooms();  // a room made after the list was read
  // Not listed (left since): its id, from now on without asking again.
  return names_.try_emplace(room_id, room_id).first->second;
}

void UserFollower::emit_message(const nlohmann::json& message, bool from_history) {
  auto id = string_field(message, "id");
  auto room = string_field(message, "roomId");
  if (!id || !room) return;
  const auto created = parse_iso8601(message.value("createdAt", ""));
  // History read back overlaps the time before following began; a live notice is always new.
  if (from_history && created && *created < started_at_) return;
  if (!shown_.insert(*id)) return;
  if (created) {
    std::int64_t& newest = last_shown_at_.try_emplace(*room, started_at_).first->second;
    newest = std::max(newest, *created);
  }
  ready_.push_back({RoomEvent::Kind::message, message, "", room_name(*room)});
}

void UserFollower::fill_gaps() {
  auto list = rooms();
  if (!list) {
    ready_.push_back({RoomEvent::Kind::disconnected, {}, "room list unavailable: " + list.error().message, ""});
    return;
  }
  CatchUpOptions options;
  options.page_size = kPageSize;
  options.max_pages = kMaxGapPages;
  for (const auto& room : *list) {
    auto room_id = string_field(room, "id");
    auto newest = room.contains("lastMessage") ? string_field(room["lastMessage"], "id") : std::nullopt;
    if (!room_id || !newest || shown_.contains(*newest)) continue;
    const auto newest_at = parse_iso8601(room["lastMessage"].value("createdAt", ""));
    auto since = last_shown_at_.find(*room_id);
    const std::int64_t from = since != last_shown_at_.end() ? since->second : started_at_;
    if (newest_at && *newest_at < from - std::chrono::duration_cast<std::chrono::microseconds>(options.overlap).count()) {
      continue;  // nothing new there
    }
    auto found = catch_up([&](const std::optional<std::string>& cursor) { return rest_.history(*room_id, kPageSize, cursor); },
                          from, newest, options);
    if (!found) {
      ready_.push_back({RoomEvent::Kind::disconnected, {}, "history of room " + *room_id + " unavailable: " + found.error().message, ""});
      continue;
    }
    for (const auto& m : found->messages) emit_message(m, true);
    if (!found->reached_newest) {
      ready_.push_back({RoomEvent::Kind::disconnected, {}, "history of room " + *room_id + " does not hold message " + *newest + " yet; it may be missing here", ""});
    }
  }
}

std::optional<RoomEvent> UserFollower::next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!ready_.empty()) {
      RoomEvent event = std::move(ready_.front());
      ready_.pop_front();
      return event;
    }
    if (settle_at_ && std::chrono::steady_clock::now() >= *settle_at_) {
      settle_at_.reset();
      fill_gaps();
      ready_.push_back({RoomEvent::Kind::connected, {}, "caught up", ""});
      continue;
    }
    auto batch = raw_.take(settle_at_ ? std::min(deadline, *settle_at_) : deadline);
    if (!batch) return std::nullopt;
    if (batch->empty()) {
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      continue;  // the second reading is due
    }
    for (auto& item : *batch) {
      switch (item.raw) {
        case Raw::connected:
          ready_.push_back({RoomEvent::Kind::connected, {}, "following every room", ""});
          fill_gaps();
          settle_at_ = std::chrono::steady_clock::now() + settle_;
          break;
        case Raw::notification:
          if (item.data.is_object() && item.data.contains("message")) emit_message(item.data["message"], false);
          break;
        case Raw::lost:
          settle_at_.reset();
          ready_.push_back({RoomEvent::Kind::disconnected, {}, item.text, ""});
          break;
        case Raw::refused: ready_.push_back({RoomEvent::Kind::fatal, {}, item.text, ""}); break;
      }
    }
  }
}

}  // namespace parkchat::client
