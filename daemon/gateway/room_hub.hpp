#pragma once
// The rooms a gateway process follows, for all its shards: one NATS subscription per room
// (chat.live.{id}.>, see core/chat/subjects.hpp), taken when the first shard has a socket in the
// room and dropped when the last has none. Each event is decoded, checked against the room's
// recent message ids and made into its frame here, once per process, on the nats.c thread that
// received it; the shards that follow the room get the same immutable delivery and only write it
// to their sockets.
//
// Room subscriptions are plain NATS: what is stored while this process's NATS connection is down
// never reaches them. So the hub knows the newest stream sequence its subscriptions have
// received (live events carry it), and once the connection is back it reads each followed
// room's messages stored after that from CHAT_MESSAGES (JetStream direct gets, on a thread of its
// own) and delivers them as if live; the per-room recent ids drop what arrived both ways.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <thread>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/base/clock.hpp"
#include "core/bus/nats_client.hpp"
#include "daemon/gateway/engine_server.hpp"

namespace parkchat::gateway {

// One room event, ready for the sockets of a shard.
struct RoomDelivery {
  enum class Kind { message, typing, joined, left, members };
  Kind kind = Kind::message;
  std::string room_id;
  Frame frame;                // what the room's sockets get (none for `members`)
  std::string except_socket;  // the socket here that caused the event: it is skipped
  std::optional<Micros> created_at;  // a message's createdAt, for the delivery latency
  // `members`: the room's members now.
  std::shared_ptr<const std::vector<std::int64_t>> members;
};

class RoomHub {
 public:
  // Gets a shard's deliveries, on a nats.c thread; must not block.
  using Sink = std::function<void(RoomDelivery delivery)>;
  // At most this many shards (a room's followers are a bit set).
  static constexpr std::size_t kMaxShards = 64;

  // `gateway_id` names this process in origin headers: only its own sockets are skipped.
  RoomHub(bus::NatsClient& nats, std::string gateway_id);
  ~RoomHub();

  // Before any follow: the shard's sink; returns its index.
  std::size_t add_shard(Sink sink);
  // Shard `shard` has a socket in `room_id` (or a join waiting): the first follower takes the
  // room's subscription. On the shard's thread; a request the shard sends on the same NATS
  // connection afterwards is answered only once the subscription is live.
  void follow(std::size_t shard, const std::string& room_id);
  void unfollow(std::size_t shard, const std::string& room_id);
  // Closes every subscription and waits for their last callbacks: no sink is called afterwards.
  void close();

  std::size_t rooms() const;
  // Messages delivered from the stream after outages, since start.
  std::uint64_t replayed() const { return replayed_.load(std::memory_order_relaxed); }
  // The headers of an event caused by socket `socket_id` of this process (Parkchat-Origin),
  // which every socket but that one gets.
  bus::Headers origin(const std::string& socket_id) const;

 private:
  struct Room;
  void on_live(const std::string& room_id, const natsMsg* msg);
  // `subject`: where the event was published; `origin`: its Parkchat-Origin header.
  void on_event(const std::string& room_id, std::string_view subject, std::string_view data, std::string_view origin);
  void on_connection_change(bool connected);
  // A stream sequence of CHAT_MESSAGES that reached this process (live, or replayed).
  void saw_sequence(std::uint64_t sequence);
  void replay_loop();
  // Delivers the followed rooms' messages stored from sequence `from` on.
  void replay(std::uint64_t from);

  bus::NatsClient& nats_;
  const std::string gateway_id_;
  std::vector<Sink> sinks_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<Room>> rooms_;

  std::atomic<std::uint64_t> newest_sequence_{0};
  // After a reconnect: the sequence of the first message received live again (0: none yet).
  std::atomic<std::uint64_t> resumed_at_{0};
  std::atomic<bool> awaiting_live_{false};
  std::atomic<std::uint64_t> replayed_{0};
  std::uint64_t connection_listener_ = 0;
  std::mutex replay_mutex_;
  std::condition_variable replay_wanted_;
  std::uint64_t lost_from_ = 0;     // while the connection is down: the first sequence maybe missed
  std::uint64_t replay_from_ = 0;   // a replay to run, from this sequence (0: none)
  std::atomic<bool> stopping_{false};  // also read by a replay under way, to end it early
  std::thread replayer_;
};

}  // namespace parkchat::gateway
