#include "daemon/gateway/room_hub.hpp"

#include "core/base/recent_ids.hpp"
#include "core/chat/subjects.hpp"
#include "core/obs/log.hpp"
#include "core/proto/bounded_json.hpp"
#include "daemon/gateway/socketio_server.hpp"

namespace parkchat::gateway {
namespace {

constexpr const char* kNamespace = "/chat";
// The header naming the gateway and socket that caused an event.
constexpr const char* kOriginHeader = "Parkchat-Origin";
// Message ids remembered per room, against delivering a resent message twice.
constexpr std::size_t kRecentIdsPerRoom = 256;

std::string_view origin_socket(std::string_view origin_header, const std::string& gateway_id) {
  auto slash = origin_header.find('/');
  if (slash == std::string_view::npos || origin_header.substr(0, slash) != gateway_id) return {};
  return origin_header.substr(slash + 1);
}

}  // namespace

struct RoomHub::Room {
  std::uint64_t shards = 0;  // bit i: shard i follows the room
  RecentIds delivered{kRecentIdsPerRoom};
  std::optional<bus::Subscription> subscription;
};

RoomHub::RoomHub(bus::NatsClient& nats, std::string gateway_id) : nats_(nats), gateway_id_(std::move(gateway_id)) {}

RoomHub::~RoomHub() { close(); }

std::size_t RoomHub::add_shard(Sink sink) {
  sinks_.push_back(std::move(sink));
  return sinks_.size() - 1;
}

void RoomHub::follow(std::size_t shard, const std::string& room_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& room = rooms_[room_id];
  if (!room) room = std::make_unique<Room>();
  const bool first = room->shards == 0;
  room->shards |= std::uint64_t{1} << shard;
  if (!first || room->subscription) return;
  auto sub = nats_.subscribe(chat::live_wildcard(room_id), "",
                             [this, room_id](bus::MsgPtr msg) { on_event(room_id, msg.get()); });
  if (sub) {
    room->subscription.emplace(std::move(*sub));
  } else {
    obs::logger("gateway")->error("room subscription failed room={} err={}", room_id, sub.error().message);
  }
}

void RoomHub::unfollow(std::size_t shard, const std::string& room_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return;
  it->second->shards &= ~(std::uint64_t{1} << shard);
  if (it->second->shards != 0) return;
  // Unsubscribes at once without waiting for a callback that may be waiting for this lock.
  if (it->second->subscription) it->second->subscription->close_without_waiting();
  rooms_.erase(it);
}

void RoomHub::close() {
  std::unordered_map<std::string, std::unique_ptr<Room>> rooms;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rooms.swap(rooms_);
  }
  // Outside the lock: a callback still running may be waiting for it.
  for (auto& [id, room] : rooms) {
    if (room->subscription) room->subscription->close();
  }
}

bus::Headers RoomHub::origin(const std::string& socket_id) const {
  return {{kOriginHeader, gateway_id_ + "/" + socket_id}};
}

std::size_t RoomHub::rooms() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rooms_.size();
}

void RoomHub::on_event(const std::string& room_id, const natsMsg* msg) {
  const std::string_view subject = bus::subject(msg);
  const std::string_view kind = chat::subject_kind(subject);
  const std::string_view data = bus::payload(msg);
  auto event = proto::parse_bounded_json(data);
  if (!event.is_object()) {
    obs::logger("gateway")->warn("malformed room event room={} subject={}", room_id, subject);
    return;
  }
  RoomDelivery delivery;
  delivery.room_id = room_id;
  delivery.except_socket = std::string(origin_socket(bus::header(msg, kOriginHeader), gateway_id_));
  std::string message_id;
  if (kind == "message") {
    auto id = event.find("id");
    if (id == event.end() || !id->is_string()) return;
    message_id = id->get<std::string>();
    auto created = event.find("createdAt");
    if (created != event.end() && created->is_string()) {
      delivery.created_at = parse_iso8601(created->get_ref<const std::string&>());
    }
    // The payload as published is the argument: spliced, not re-serialized.
    std::string frame = "42/chat,[\"new_message\",";
    frame.append(data);
    frame += ']';
    delivery.frame = make_frame(std::move(frame));
  } else if (kind == "typing") {
    delivery.kind = RoomDelivery::Kind::typing;
    delivery.frame = event_frame(kNamespace, "typing", event);
  } else if (kind == "joined") {
    delivery.kind = RoomDelivery::Kind::joined;
    delivery.frame = event_frame(kNamespace, "user_joined", event);
  } else if (kind == "left") {
    delivery.kind = RoomDelivery::Kind::left;
    delivery.frame = event_frame(kNamespace, "user_left", event);
  } else if (kind == "members") {
    if (!event.contains("memberIds") || !event["memberIds"].is_array()) return;
    delivery.kind = RoomDelivery::Kind::members;
    auto members = std::make_shared<std::vector<std::int64_t>>();
    for (const auto& member : event["memberIds"]) {
      if (member.is_number_integer()) members->push_back(member.get<std::int64_t>());
    }
    delivery.members = std::move(members);
  } else {
    return;
  }
  std::uint64_t shards = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = rooms_.find(room_id);
    if (it == rooms_.end()) return;  // the last follower left meanwhile
    if (!message_id.empty() && !it->second->delivered.insert(message_id)) return;
    shards = it->second->shards;
  }
  // Each sink gets its own copy of the small parts; the frame itself is shared.
  for (std::size_t i = 0; i < sinks_.size(); ++i) {
    if ((shards & (std::uint64_t{1} << i)) == 0) continue;
    sinks_[i](delivery);
  }
}

}  // namespace parkchat::gateway
