#pragma once
// The /chat namespace (CONTRACT §4, seed §2–§3) on one shard of a gateway process: its sockets,
// which of them are in which room, and the rooms' member lists as the service last said.
// Everything a room's sockets receive comes through the process's RoomHub (one NATS
// subscription per room), whichever gateway or REST call produced it, and messages only once
// their stream has stored them, so local and remote senders follow one path: encoded once per
// process, written to every socket of the room except the one that caused it, each message id
// at most once. Presence and the cap on a user's sockets are the process's (UserDirectory).
//
// Runs on its shard's Asio thread; NATS replies and deliveries are posted to it.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/auth/token.hpp"
#include "core/bus/async_publisher.hpp"
#include "core/bus/async_requester.hpp"
#include "core/bus/nats_client.hpp"
#include "core/chat/message.hpp"
#include "core/chat/room.hpp"
#include "daemon/gateway/commit_watch.hpp"
#include "daemon/gateway/gateway_metrics.hpp"
#include "daemon/gateway/handoff.hpp"
#include "daemon/gateway/room_hub.hpp"
#include "daemon/gateway/room_membership.hpp"
#include "daemon/gateway/socketio_server.hpp"
#include "daemon/gateway/user_directory.hpp"
#include "daemon/limits/user_budgets.hpp"

namespace parkchat::gateway {

struct ChatGatewayOptions {
  std::string jwt_secret;
  // typing events per second per socket (a burst of twice that); beyond, dropped silently
  double typing_rate = 5;
  // join_room and leave_room per second per socket; the burst lets a client rejoin every room
  // it may be in after a reconnect
  double membership_rate = 20;
  double membership_burst = 400;
  std::size_t max_rooms_per_socket = 200;
  std::chrono::milliseconds service_timeout{5000};
  // Sends are refused (UNAVAILABLE, with retryAfterMs) while room events wait longer than this
  // for the gateway's thread.
  std::chrono::milliseconds max_queue_delay{250};
  // `serve --ack-after stored`: a send's success waits until its row is committed in
  // PostgreSQL (CommitWatch), not only until the stream has it.
  bool ack_after_stored = false;
  // Where refusals and latencies are counted, if set; must outlive the gateway.
  GatewayMetrics* metrics = nullptr;
};

// A shard's figures for /stats, readable from any thread.
struct GatewayCounters {
  std::atomic<std::int64_t> sockets{0};
  std::atomic<std::uint64_t> connects{0};  // sockets admitted since start
  std::atomic<std::uint64_t> messages_sent{0};
  std::atomic<std::uint64_t> deliveries{0};  // new_message frames written to sockets
};

class ChatGateway;

// What the shards of one gateway process share; outlives them.
struct GatewayProcess {
  // `gateway_id` names the process in presence events and origin headers.
  GatewayProcess(bus::NatsClient& nats, std::string gateway_id, std::size_t max_sockets_per_user);
  const std::string gateway_id;
  RoomHub rooms;
  UserDirectory users;
  // Followed (CommitWatch::follow) only with --ack-after stored.
  CommitWatch commits;
  std::vector<ChatGateway*> shards;  // by index; filled before the first client

  // Follows chat.gateway.{gateway_id}.notification: the notifier's notices of new messages for
  // this process's online users, each made into one `notification` frame here and written to
  // those users' sockets that have not joined the room. After the shards are filled.
  Result<void> follow_notifications(bus::NatsClient& nats);
  // Stops that, waiting for a notice being handled; before the shards go.
  void close_notifications() {
    if (notifications_) notifications_->close();
  }

 private:
  std::optional<bus::Subscription> notifications_;
};

class ChatGateway : public Namespace {
 public:
  // `nats`, `requester`, `budgets` and `process` must outlive the gateway, and `requester` and
  // `process.rooms` must use `nats` (a join relies on the order of one connection's
  // operations). Message sends draw on the sender's budget in `budgets`, shared with the REST
  // API and the other shards.
  ChatGateway(bus::NatsClient& nats, bus::AsyncRequester& requester, limits::UserBudgets& budgets,
              GatewayProcess& process, ChatGatewayOptions options);
  ~ChatGateway() override;

  // Opens the JetStream publisher; before the first client.
  Result<void> start();
  void attach(web::HttpServer& web);
  std::size_t shard() const { return shard_; }
  // Closes socket `socket_id` of this shard, if it is still here, after telling it why; from
  // any thread (another shard's, when the user's newest socket is there).
  void evict(const std::string& socket_id, std::string why);
  // Writes a `notification` frame of room `room_id` to those of `socket_ids` still here that have
  // not joined the room; from any thread.
  void notify(std::vector<std::string> socket_ids, std::string room_id, Frame frame);

  // Shutdown, step 1 (Asio thread): refuse new sends. Step 2 (any thread but the Asio one):
  // wait until every accepted send has been acknowledged.
  void stop_sending();
  void wait_for_sends(std::chrono::milliseconds timeout);

  const GatewayCounters& counters() const { return counters_; }
  const std::string& id() const { return process_.gateway_id; }

  std::optional<nlohmann::json> authorize(SioSocket& socket, const nlohmann::json& auth) override;
  void on_connect(SioSocket& socket, const nlohmann::json& auth) override;
  void on_event(SioSocket& socket, const std::string& name, nlohmann::json& args,
                std::optional<std::uint64_t> ack_id) override;
  void on_disconnect(SioSocket& socket, std::string_view reason) override;

 private:
  struct Room;
  struct PendingSend {
    std::string socket_id;
    std::optional<std::uint64_t> ack_id;
    chat::Message message;
    std::chrono::steady_clock::time_point sent_at;
  };
  using Ack = std::optional<std::uint64_t>;

  void join_room(SioSocket& socket, const nlohmann::json& payload, Ack ack);
  void leave_room(SioSocket& socket, const nlohmann::json& payload, Ack ack);
  void send_message(SioSocket& socket, const nlohmann::json& payload, Ack ack);
  void typing(SioSocket& socket, const nlohmann::json& payload, Ack ack);

  // Asks the service about the room for a socket's join, unless a request for it is on its way
  // already: the socket then waits for that answer.
  void ask_service(SioSocket& socket, Room& room, Ack ack, bool resume);
  // The service's answer about a room: every join that waited for it ends or asks again.
  void on_room_answer(const std::string& room_id, std::uint64_t version, const Result<std::string>& reply);
  void finish_join(Room& room, const RoomMembership::Verdict& verdict, const Result<void>& described);
  void admit(SioSocket& socket, Room& room, Ack ack, bool resume);
  // A join's success; with `resume`, it names the newest message of the room in its stream
  // (`newestMessageId`, null when there is none), read after the socket entered the room.
  void answer_join(SioSocket& socket, const Room& room, Ack ack, bool resume);
  void leave(SioSocket& socket, const std::string& room_id, bool announce);
  Room& open_room(const std::string& room_id);
  void close_room(const std::string& room_id);
  void on_room_events(std::vector<RoomDelivery>& batch, std::chrono::steady_clock::time_point oldest);
  void on_room_event(const RoomDelivery& delivery);
  // Emits `frame` to the room's sockets but one; how many it reached.
  std::size_t deliver(Room& room, const Frame& frame, const std::string& except_socket);
  void on_published(const std::string& msg_id, Result<bus::PublishAck> stored);
  // A duplicate's answer, once the stream's first copy of its id has been read.
  void on_original(const PendingSend& send, const Result<std::string>& reply);
  // A send the stream has: acknowledged now, or with --ack-after stored once its row is
  // committed (`duplicate`: the stream had the id before, so its notice may be long gone).
  void answer_stored(const PendingSend& send, nlohmann::json success, bool duplicate);
  struct AwaitingCommit;
  // Asks the service whether the send's row is committed; when it is not and `last`, the send
  // is refused UNAVAILABLE (the client resends it with the same id).
  void ask_if_committed(const std::shared_ptr<AwaitingCommit>& awaiting, bool last);
  void finish_commit(AwaitingCommit& awaiting, Result<void> committed);
  bus::Headers origin(const SioSocket& socket) const;

  // The refusal of a request: its ack (when the client asked for one) and an `error` event.
  void refuse(SioSocket& socket, Ack ack, const Error& error);
  // RATE_LIMITED with a retry hint (retryAfterMs) in the ack and the error event.
  void refuse_rate_limited(SioSocket& socket, Ack ack, const std::string& what, std::chrono::milliseconds retry);
  // UNAVAILABLE with a retry hint: the server, not the user, is the limit.
  void refuse_unavailable(SioSocket& socket, Ack ack, const std::string& what, std::chrono::milliseconds retry);
  void succeed(SioSocket& socket, Ack ack, nlohmann::json data);
  // The acknowledgement of a send, success or not, with its latency counted.
  void answer_send(SioSocket& socket, const PendingSend& send, Result<nlohmann::json> outcome);
  SioSocket* find_socket(const std::string& socket_id) const;

  bus::NatsClient& nats_;
  bus::AsyncRequester& requester_;
  limits::UserBudgets& budgets_;
  GatewayProcess& process_;
  ChatGatewayOptions options_;
  std::size_t shard_;
  web::HttpServer* web_ = nullptr;
  std::unique_ptr<bus::AsyncPublisher> publisher_;
  bool sending_ = true;
  // Room events on their way from nats.c's threads to the Asio thread.
  std::unique_ptr<Handoff<RoomDelivery>> room_events_;
  // How long the last room event waited for the Asio thread.
  std::chrono::steady_clock::duration queue_delay_{0};
  std::chrono::steady_clock::time_point queue_delay_measured_;

  // The seed's state, for this shard: onlineUsers (socket id → socket), roomSubscriptions
  // (room → its local sockets); userSockets is the process's (process_.users).
  std::unordered_map<std::string, SioSocket*> online_users_;
  std::unordered_map<std::string, std::unique_ptr<Room>> room_subscriptions_;
  // Sends waiting for JetStream's ack, by message id, in the order they were published.
  std::unordered_map<std::string, std::deque<PendingSend>> pending_sends_;
  GatewayCounters counters_;
};

}  // namespace parkchat::gateway
