#include "daemon/gateway/room_hub.hpp"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/base/recent_ids.hpp"
#include "core/bus/streams.hpp"
#include "core/chat/subjects.hpp"
#include "core/obs/log.hpp"
#include "core/proto/bounded_json.hpp"
#include "daemon/gateway/socketio_server.hpp"

namespace parkchat::gateway {
namespace {

// How long a replay asks a silent stream again, and how often.
constexpr auto kReplayPatience = std::chrono::seconds(30);
constexpr auto kReplayRetry = std::chrono::milliseconds(250);

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

RoomHub::RoomHub(bus::NatsClient& nats, std::string gateway_id) : nats_(nats), gateway_id_(std::move(gateway_id)) {
  connection_listener_ = nats_.on_connection_change([this](bool connected) { on_connection_change(connected); });
  replayer_ = std::thread([this] { replay_loop(); });
}

RoomHub::~RoomHub() { close(); }

void RoomHub::saw_sequence(std::uint64_t sequence) {
  std::uint64_t known = newest_sequence_.load(std::memory_order_relaxed);
  while (sequence > known && !newest_sequence_.compare_exchange_weak(known, sequence, std::memory_order_relaxed)) {
  }
}

// On a nats.c thread: only notes what to do.
void RoomHub::on_connection_change(bool connected) {
  std::lock_guard<std::mutex> lock(replay_mutex_);
  if (!connected) {
    // What came before this was received: one connection gets a stream's republished messages
    // in sequence order.
    // A process that has received no message yet knows no place to start from: its rooms'
    // sockets then get only what comes after the outage (a client that rejoins catches up).
    const std::uint64_t newest = newest_sequence_.load(std::memory_order_relaxed);
    if (lost_from_ == 0 && newest != 0) lost_from_ = newest + 1;
    return;
  }
  if (lost_from_ == 0) return;
  resumed_at_.store(0);
  awaiting_live_.store(true);
  replay_from_ = replay_from_ == 0 ? lost_from_ : std::min(replay_from_, lost_from_);
  lost_from_ = 0;
  replay_wanted_.notify_one();
}

void RoomHub::replay_loop() {
  std::unique_lock<std::mutex> lock(replay_mutex_);
  while (true) {
    replay_wanted_.wait(lock, [this] { return stopping_ || replay_from_ != 0; });
    if (stopping_) return;
    const std::uint64_t from = replay_from_;
    replay_from_ = 0;
    lock.unlock();
    replay(from);
    lock.lock();
  }
}

void RoomHub::replay(std::uint64_t from) {
  std::vector<std::string> room_ids;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, room] : rooms_) room_ids.push_back(id);
  }
  std::uint64_t delivered = 0;
  for (const auto& room_id : room_ids) {
    if (stopping_) return;
    // Both kinds of room: chat.room.{id}.message and chat.dm.{id}.message.
    const std::string subjects = "chat.*." + room_id + ".message";
    // A stream that is electing a leader (a NATS cluster that lost a server) answers nothing
    // for a while: asked again until it does, within the patience.
    const auto give_up_at = std::chrono::steady_clock::now() + kReplayPatience;
    for (std::uint64_t sequence = from;;) {
      // Not yet known (no live message since NATS came back): read on; the recent ids drop
      // what came both ways.
      const std::uint64_t live_from = resumed_at_.load();
      if (live_from != 0 && sequence >= live_from) break;
      nlohmann::json request = {{"seq", sequence}, {"next_by_subj", subjects}};
      auto reply = nats_.request_message(std::string("$JS.API.DIRECT.GET.") + bus::kMessagesStream, request.dump(),
                                         std::chrono::seconds(2));
      if (!reply) {
        if (std::chrono::steady_clock::now() < give_up_at && !stopping_) {
          std::this_thread::sleep_for(kReplayRetry);
          continue;
        }
        obs::logger("gateway")->error("replay after the NATS outage given up room={} err={}", room_id,
                                      reply.error().message);
        break;
      }
      const natsMsg* msg = reply->get();
      const std::string_view stored = bus::header(msg, "Nats-Sequence");
      if (bus::payload(msg).empty() || stored.empty()) break;  // no more (404)
      const std::uint64_t at = std::stoull(std::string(stored));
      if (live_from != 0 && at >= live_from) break;
      saw_sequence(at);
      on_event(room_id, bus::header(msg, "Nats-Subject"), bus::payload(msg), bus::header(msg, kOriginHeader));
      ++delivered;
      sequence = at + 1;
    }
  }
  replayed_.fetch_add(delivered, std::memory_order_relaxed);
  obs::logger("gateway")->info("replayed after the NATS outage from_sequence={} rooms={} messages={}", from,
                               room_ids.size(), delivered);
}

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
                             [this, room_id](bus::MsgPtr msg) { on_live(room_id, msg.get()); });
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
  if (replayer_.joinable()) {
    nats_.forget_connection_listener(connection_listener_);
    {
      std::lock_guard<std::mutex> lock(replay_mutex_);
      stopping_ = true;
    }
    replay_wanted_.notify_one();
    replayer_.join();
  }
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

void RoomHub::on_live(const std::string& room_id, const natsMsg* msg) {
  const std::string_view subject = bus::subject(msg);
  // A stored message, republished by its stream with its sequence (typing has a stream, and a
  // sequence, of its own).
  if (bus::header(msg, "Nats-Stream") == bus::kMessagesStream) {
    const std::uint64_t sequence = std::strtoull(std::string(bus::header(msg, "Nats-Sequence")).c_str(), nullptr, 10);
    saw_sequence(sequence);
    // The first after NATS came back: from here on everything arrives live, so a replay under
    // way stops short of it.
    if (awaiting_live_.exchange(false)) resumed_at_.store(sequence);
  }
  on_event(room_id, subject, bus::payload(msg), bus::header(msg, kOriginHeader));
}

void RoomHub::on_event(const std::string& room_id, std::string_view subject, std::string_view data,
                       std::string_view origin) {
  const std::string_view kind = chat::subject_kind(subject);
  auto event = proto::parse_bounded_json(data);
  if (!event.is_object()) {
    obs::logger("gateway")->warn("malformed room event room={} subject={}", room_id, subject);
    return;
  }
  RoomDelivery delivery;
  delivery.room_id = room_id;
  delivery.except_socket = std::string(origin_socket(origin, gateway_id_));
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
