#include "daemon/gateway/chat_gateway.hpp"

#include <algorithm>

#include "core/base/clock.hpp"
#include "core/base/uuid.hpp"
#include "core/bus/streams.hpp"
#include "core/chat/commit_notice.hpp"
#include "core/chat/message.hpp"
#include "core/chat/subjects.hpp"
#include "core/obs/log.hpp"
#include "core/proto/envelope.hpp"
#include "daemon/web/query_string.hpp"
#include "core/proto/bounded_json.hpp"

namespace parkchat::gateway {
namespace {

constexpr const char* kNamespace = "/chat";
// With --ack-after stored: how long a send that the stream has waits for the notice of its
// commit before the service is asked, and how many sends of a process may wait at once; beyond
// that, new sends are refused UNAVAILABLE (PostgreSQL is behind or down, and the held sends'
// memory must stay bounded).
constexpr auto kCommitPatience = std::chrono::seconds(5);
constexpr std::size_t kMaxAwaitingCommit = 20'000;
// Joins that cost a service request, per socket: a client rejoining its rooms after a
// reconnect is served at once; one probing random room ids is slowed down.
constexpr double kLookupRate = 20;
constexpr double kLookupBurst = 200;

// What the gateway keeps on each of its sockets.
struct ChatSocket : SioSocket::Attachment {
  ChatSocket(auth::Identity identity, const ChatGatewayOptions& options)
      : user(std::move(identity)),
        lookups(kLookupRate, kLookupBurst),
        typing(options.typing_rate, 2 * options.typing_rate),
        memberships(options.membership_rate, options.membership_burst) {}
  auth::Identity user;
  std::vector<std::string> rooms;    // joined here; few per socket
  std::vector<std::string> joining;  // joins waiting for the service
  limits::TokenBucket lookups;  // joins that ask the service (a room not cached here)
  limits::TokenBucket typing;
  limits::TokenBucket memberships;  // joins and leaves
};

ChatSocket& state(SioSocket& socket) { return static_cast<ChatSocket&>(*socket.attachment); }

template <class T>
void erase_value(std::vector<T>& values, const T& value) {
  values.erase(std::remove(values.begin(), values.end(), value), values.end());
}

// A room id from a client's payload: present and a UUID; VALIDATION otherwise.
Result<std::string> room_id_of(const nlohmann::json& payload) {
  if (!payload.is_object()) return fail(Errc::validation, "payload must be an object");
  auto it = payload.find("roomId");
  if (it == payload.end() || !it->is_string()) return fail(Errc::validation, "roomId is required");
  const std::string& text = it->get_ref<const std::string&>();
  if (!is_uuid(text)) return fail(Errc::validation, "roomId must be a UUID");
  return canonical_uuid(text);
}

void publish_presence(bus::NatsClient& nats, const std::string& gateway_id, std::int64_t user_id, const char* status) {
  nlohmann::json event = {
      {"userId", user_id}, {"status", status}, {"at", format_iso8601(now_micros())}, {"gatewayId", gateway_id}};
  if (auto published = nats.publish(chat::presence_subject(user_id), event.dump()); !published) {
    obs::logger("gateway")->warn("presence not published user={} err={}", user_id, published.error().message);
  }
}

}  // namespace

struct ChatGateway::Room {
  explicit Room(std::string room_id) : id(std::move(room_id)) {}
  std::string id;
  RoomMembership membership;  // as the service last said, and the joins asking it
  std::vector<SioSocket*> sockets;  // local sockets in the room
};

GatewayProcess::GatewayProcess(bus::NatsClient& nats, std::string id, std::size_t max_sockets_per_user)
    : gateway_id(std::move(id)),
      rooms(nats, gateway_id),
      users(max_sockets_per_user, [&nats, this](std::int64_t user_id, const char* status) {
        publish_presence(nats, gateway_id, user_id, status);
      }),
      commits(kCommitPatience) {}

Result<void> GatewayProcess::follow_notifications(bus::NatsClient& nats) {
  auto sub = nats.subscribe(chat::gateway_notification_subject(gateway_id), "", [this](bus::MsgPtr msg) {
    const nlohmann::json notice = proto::parse_bounded_json(bus::payload(msg.get()));
    if (!notice.is_object() || !notice.contains("roomId") || !notice["roomId"].is_string() || !notice.contains("message") ||
        !notice.contains("userIds") || !notice["userIds"].is_array()) {
      return;
    }
    const std::string room_id = notice["roomId"].get<std::string>();
    // Most notices are for sockets that have the room open: those cost nothing past here.
    std::vector<SocketRef> outside;
    for (const auto& user : notice["userIds"]) {
      if (user.is_number_integer()) users.sockets_outside(user.get<std::int64_t>(), room_id, outside);
    }
    if (outside.empty()) return;
    std::vector<std::vector<std::string>> by_shard(shards.size());
    for (SocketRef& ref : outside) {
      if (ref.shard < by_shard.size()) by_shard[ref.shard].push_back(std::move(ref.socket_id));
    }
    // One frame for every socket it reaches, in every shard. The shard checks again: a socket
    // may have joined meanwhile.
    const Frame frame = event_frame(kNamespace, "notification", {{"roomId", room_id}, {"message", notice["message"]}});
    for (std::size_t shard = 0; shard < by_shard.size(); ++shard) {
      if (!by_shard[shard].empty()) shards[shard]->notify(std::move(by_shard[shard]), room_id, frame);
    }
  });
  if (!sub) return tl::unexpected(sub.error());
  notifications_.emplace(std::move(*sub));
  return {};
}

ChatGateway::ChatGateway(bus::NatsClient& nats, bus::AsyncRequester& requester, limits::UserBudgets& budgets,
                         GatewayProcess& process, ChatGatewayOptions options)
    : nats_(nats),
      requester_(requester),
      budgets_(budgets),
      process_(process),
      options_(std::move(options)),
      shard_(process.rooms.add_shard([this](RoomDelivery delivery) { room_events_->push(std::move(delivery)); })) {}

// Runs after the Asio thread has stopped and the hub has closed its subscriptions.
ChatGateway::~ChatGateway() {
  publisher_.reset();  // waits for the last acks, whose reports still post to the stopped listener
}

void ChatGateway::attach(web::HttpServer& web) {
  web_ = &web;
  auto post = [this](std::function<void()> task) { web_->post(std::move(task)); };
  room_events_ = std::make_unique<Handoff<RoomDelivery>>(
      post, [this](std::vector<RoomDelivery>& batch, Handoff<RoomDelivery>::Clock::time_point oldest) {
        on_room_events(batch, oldest);
      });
}

void ChatGateway::evict(const std::string& socket_id, std::string why) {
  web_->post([this, socket_id, why = std::move(why)] {
    SioSocket* socket = find_socket(socket_id);
    if (socket == nullptr) return;
    // Said before it goes, so that the client knows why and does not simply reconnect.
    socket->emit(event_frame(kNamespace, "error", {{"code", code_name(Errc::rate_limited)}, {"message", why}}));
    socket->disconnect("too many sockets of one user");
  });
}

void ChatGateway::notify(std::vector<std::string> socket_ids, std::string room_id, Frame frame) {
  web_->post([this, socket_ids = std::move(socket_ids), room_id = std::move(room_id), frame = std::move(frame)] {
    for (const std::string& id : socket_ids) {
      SioSocket* socket = find_socket(id);
      if (socket == nullptr) continue;
      const auto& rooms = state(*socket).rooms;
      if (std::find(rooms.begin(), rooms.end(), room_id) == rooms.end()) socket->emit(frame);
    }
  });
}

Result<void> ChatGateway::start() {
  // With 4,096 publishes unacknowledged, a send waits at most 5 ms for room and is then refused
  // (UNAVAILABLE): the Asio thread serves every socket and must not stall behind JetStream.
  auto publisher = bus::AsyncPublisher::open(
      nats_, 4096,
      [this](const std::string& msg_id, Result<bus::PublishAck> stored) {
        web_->post([this, msg_id, stored = std::move(stored)]() mutable { on_published(msg_id, std::move(stored)); });
      },
      std::chrono::milliseconds(5));
  if (!publisher) return tl::unexpected(publisher.error());
  publisher_ = std::move(*publisher);
  return {};
}

void ChatGateway::stop_sending() { sending_ = false; }

void ChatGateway::wait_for_sends(std::chrono::milliseconds timeout) {
  if (!publisher_) return;
  if (auto waited = publisher_->wait_all(timeout); !waited) {
    obs::logger("gateway")->warn("sends still unacknowledged at shutdown err={}", waited.error().message);
  }
}

// --- connection ---

std::optional<nlohmann::json> ChatGateway::authorize(SioSocket& socket, const nlohmann::json& auth) {
  std::string token;
  if (auth.is_object() && auth.contains("token") && auth["token"].is_string()) {
    token = auth["token"].get<std::string>();
  } else {
    const auto query = web::parse_query(socket.engine().handshake().query);
    if (auto it = query.find("token"); it != query.end()) token = it->second;
  }
  auto identity = auth::verify_token(token, options_.jwt_secret);
  // A service token names no user: there is no one to connect as.
  if (!identity || identity->service) {
    if (options_.metrics != nullptr) {
      options_.metrics->token_refused.add();
      options_.metrics->jwt_refusal(identity ? "no_user" : auth::refusal_reason(identity.error())).add();
    }
    obs::logger("gateway")->debug("connection refused socket={} err={}", socket.id(),
                                  identity ? "a service token names no user" : identity.error().message);
    return nlohmann::json{{"message", "Unauthorized"}};
  }
  socket.attachment = std::make_unique<ChatSocket>(std::move(*identity), options_);
  return std::nullopt;
}

void ChatGateway::on_connect(SioSocket& socket, const nlohmann::json&) {
  const auto& user = state(socket).user;
  online_users_[socket.id()] = &socket;
  counters_.connects.fetch_add(1, std::memory_order_relaxed);
  counters_.sockets.store(static_cast<std::int64_t>(online_users_.size()), std::memory_order_relaxed);
  // The newest socket is kept: socket.io-client gives up after a refused connect, and the newest
  // is the one in use.
  if (auto oldest = process_.users.add(user.user_id, SocketRef{shard_, socket.id()})) {
    process_.shards[oldest->shard]->evict(
        oldest->socket_id, "user " + std::to_string(user.user_id) + " has more than " +
                               std::to_string(process_.users.max_sockets_per_user()) + " sockets here; the oldest is closed");
  }
  socket.emit(event_frame(kNamespace, "connected", {{"userId", user.user_id}, {"socketId", socket.id()}}));
}

void ChatGateway::on_disconnect(SioSocket& socket, std::string_view) {
  if (!socket.attachment) return;
  ChatSocket& chat = state(socket);
  const std::vector<std::string> rooms = chat.rooms;
  for (const auto& room_id : rooms) leave(socket, room_id, true);
  online_users_.erase(socket.id());
  process_.users.remove(chat.user.user_id, socket.id());
  counters_.sockets.store(static_cast<std::int64_t>(online_users_.size()), std::memory_order_relaxed);
}

// --- requests ---

void ChatGateway::on_event(SioSocket& socket, const std::string& name, nlohmann::json& args, Ack ack) {
  static const nlohmann::json kNoPayload;
  const nlohmann::json& payload = args.empty() ? kNoPayload : args[0];
  if (name == "send_message") return send_message(socket, payload, ack);
  if (name == "typing") return typing(socket, payload, ack);
  if (name == "join_room") return join_room(socket, payload, ack);
  if (name == "leave_room") return leave_room(socket, payload, ack);
  refuse(socket, ack, Error{Errc::validation, "unknown event '" + name + "'"});
}

void ChatGateway::join_room(SioSocket& socket, const nlohmann::json& payload, Ack ack) {
  auto room_id = room_id_of(payload);
  if (!room_id) return refuse(socket, ack, room_id.error());
  ChatSocket& chat = state(socket);
  if (!chat.memberships.take(std::chrono::steady_clock::now())) {
    return refuse_rate_limited(socket, ack, "too many joins and leaves", chat.memberships.retry_after());
  }
  // A client back from a reconnect asks how far its gap reaches (answer_join).
  const bool resume = payload.contains("resume") && payload["resume"].is_boolean() && payload["resume"].get<bool>();
  if (std::find(chat.rooms.begin(), chat.rooms.end(), *room_id) != chat.rooms.end()) {
    return answer_join(socket, *room_subscriptions_.at(*room_id), ack, resume);
  }
  // Joins waiting for the service count too: a socket cannot have more requests in flight
  // than it may have rooms.
  if (chat.rooms.size() + chat.joining.size() >= options_.max_rooms_per_socket) {
    return refuse(socket, ack, Error{Errc::forbidden, "a socket may be in at most " +
                                                          std::to_string(options_.max_rooms_per_socket) + " rooms"});
  }
  auto known = room_subscriptions_.find(*room_id);
  // Only membership is taken from the cache: a user just added may not be in it yet (the
  // change comes asynchronously), so a miss asks the service.
  if (known != room_subscriptions_.end() && known->second->membership.admits(chat.user.user_id)) {
    return admit(socket, *known->second, ack, resume);
  }
  // Not cached here: the service decides, and its answer fills the cache. The room's
  // subscription is taken first, on the connection that then asks: NATS handles one
  // connection's operations in order, so once the answer is back the subscription is live and
  // nothing published after the join's ack can be missed.
  if (!chat.lookups.take(std::chrono::steady_clock::now())) {
    return refuse_rate_limited(socket, ack, "too many joins of rooms not cached here", chat.lookups.retry_after());
  }
  Room& room = open_room(*room_id);
  chat.joining.push_back(*room_id);
  ask_service(socket, room, ack, resume);
}

void ChatGateway::ask_service(SioSocket& socket, Room& room, Ack ack, bool resume) {
  const std::int64_t user_id = state(socket).user.user_id;
  if (!room.membership.enqueue({socket.id(), ack, user_id, resume})) return;  // waits for the answer on its way
  nlohmann::json request = {{"roomId", room.id}, {"userId", user_id}};
  requester_.request("chat.rooms.get", request.dump(), options_.service_timeout,
                     [this, room_id = room.id, version = room.membership.version()](Result<std::string> reply) {
                       web_->post([this, room_id, version, reply = std::move(reply)] { on_room_answer(room_id, version, reply); });
                     });
}

void ChatGateway::on_room_answer(const std::string& room_id, std::uint64_t version, const Result<std::string>& reply) {
  auto it = room_subscriptions_.find(room_id);
  if (it == room_subscriptions_.end()) return;  // cannot happen while a join is in flight
  Room& room = *it->second;
  RoomMembership::Answer answer = room.membership.answer(version, reply, room_id);
  for (const RoomMembership::Verdict& verdict : answer.verdicts) finish_join(room, verdict, answer.described);
  if (room.sockets.empty() && !room.membership.joining()) close_room(room_id);
}

void ChatGateway::finish_join(Room& room, const RoomMembership::Verdict& verdict, const Result<void>& described) {
  SioSocket* socket = find_socket(verdict.join.socket_id);
  if (socket == nullptr) return;  // gone while the service answered
  const Ack ack = verdict.join.ack;
  ChatSocket& chat = state(*socket);
  auto pending = std::find(chat.joining.begin(), chat.joining.end(), room.id);
  if (pending == chat.joining.end()) {  // left the room before the answer came
    return refuse(*socket, ack, Error{Errc::conflict, "left room " + room.id + " before the join completed"});
  }
  using Outcome = RoomMembership::Outcome;
  if (verdict.outcome == Outcome::ask_again) return ask_service(*socket, room, ack, verdict.join.resume);
  chat.joining.erase(pending);
  if (verdict.outcome == Outcome::failed) return refuse(*socket, ack, described.error());
  if (verdict.outcome == Outcome::not_found) return refuse(*socket, ack, Error{Errc::not_found, "room not found"});
  if (std::find(chat.rooms.begin(), chat.rooms.end(), room.id) != chat.rooms.end()) {
    return answer_join(*socket, room, ack, verdict.join.resume);  // a second join raced the first
  }
  if (chat.rooms.size() >= options_.max_rooms_per_socket) {
    return refuse(*socket, ack, Error{Errc::forbidden, "a socket may be in at most " +
                                                           std::to_string(options_.max_rooms_per_socket) + " rooms"});
  }
  admit(*socket, room, ack, verdict.join.resume);
}

void ChatGateway::close_room(const std::string& room_id) {
  auto it = room_subscriptions_.find(room_id);
  if (it == room_subscriptions_.end()) return;
  process_.rooms.unfollow(shard_, room_id);
  room_subscriptions_.erase(it);
}

ChatGateway::Room& ChatGateway::open_room(const std::string& room_id) {
  auto it = room_subscriptions_.find(room_id);
  if (it != room_subscriptions_.end()) return *it->second;
  auto room = std::make_unique<Room>(room_id);
  process_.rooms.follow(shard_, room_id);
  Room& opened = *room;
  room_subscriptions_.emplace(room_id, std::move(room));
  return opened;
}

void ChatGateway::admit(SioSocket& socket, Room& room, Ack ack, bool resume) {
  ChatSocket& chat = state(socket);
  room.sockets.push_back(&socket);
  chat.rooms.push_back(room.id);
  process_.users.entered(chat.user.user_id, socket.id(), room.id);
  nlohmann::json joined = {{"roomId", room.id}, {"userId", chat.user.user_id}, {"userName", chat.user.name}};
  if (auto published = nats_.publish(chat::joined_subject(room.id), joined.dump(), origin(socket)); !published) {
    obs::logger("gateway")->warn("user_joined not published room={} err={}", room.id, published.error().message);
  }
  answer_join(socket, room, ack, resume);
}

void ChatGateway::answer_join(SioSocket& socket, const Room& room, Ack ack, bool resume) {
  if (!resume) return succeed(socket, ack, {{"success", true}});
  // Read once the socket is in the room: whatever is newer than the answer reaches it live, so
  // history up to this id and the live stream together leave no gap, also while history still
  // lags the stream (the persister's lag).
  const bus::StreamMessageRequest read =
      bus::newest_message_request(bus::kMessagesStream, chat::message_subject(room.membership.type(), room.id));
  requester_.request(read.subject, read.payload, options_.service_timeout,
                     [this, socket_id = socket.id(), ack](Result<std::string> reply) {
                       web_->post([this, socket_id, ack, reply = std::move(reply)] {
                         SioSocket* joined = find_socket(socket_id);
                         if (joined == nullptr) return;
                         nlohmann::json answer = {{"success", true}};
                         // Unread (the stream did not answer): the client fills from history alone.
                         if (reply && reply->empty()) answer["newestMessageId"] = nullptr;
                         if (reply && !reply->empty()) {
                           if (auto newest = chat::message_from_json(proto::parse_bounded_json(*reply))) {
                             answer["newestMessageId"] = newest->id;
                           }
                         }
                         succeed(*joined, ack, std::move(answer));
                       });
                     });
}

void ChatGateway::leave_room(SioSocket& socket, const nlohmann::json& payload, Ack ack) {
  auto room_id = room_id_of(payload);
  if (!room_id) return refuse(socket, ack, room_id.error());
  ChatSocket& chat = state(socket);
  if (!chat.memberships.take(std::chrono::steady_clock::now())) {
    return refuse_rate_limited(socket, ack, "too many joins and leaves", chat.memberships.retry_after());
  }
  leave(socket, *room_id, true);
  succeed(socket, ack, {{"success", true}});
}

void ChatGateway::leave(SioSocket& socket, const std::string& room_id, bool announce) {
  ChatSocket& chat = state(socket);
  erase_value(chat.joining, room_id);  // a join still waiting for the service is dropped
  auto joined = std::find(chat.rooms.begin(), chat.rooms.end(), room_id);
  if (joined == chat.rooms.end()) return;
  chat.rooms.erase(joined);
  process_.users.left(chat.user.user_id, socket.id(), room_id);
  auto it = room_subscriptions_.find(room_id);
  if (it == room_subscriptions_.end()) return;
  erase_value(it->second->sockets, &socket);
  if (announce) {
    nlohmann::json left = {{"roomId", room_id}, {"userId", chat.user.user_id}};
    if (auto published = nats_.publish(chat::left_subject(room_id), left.dump(), origin(socket)); !published) {
      obs::logger("gateway")->warn("user_left not published room={} err={}", room_id, published.error().message);
    }
  }
  if (it->second->sockets.empty() && !it->second->membership.joining()) close_room(room_id);
}

void ChatGateway::send_message(SioSocket& socket, const nlohmann::json& payload, Ack ack) {
  auto room_id = room_id_of(payload);
  if (!room_id) return refuse(socket, ack, room_id.error());
  ChatSocket& chat = state(socket);
  auto room = room_subscriptions_.find(*room_id);
  if (room == room_subscriptions_.end() ||
      std::find(chat.rooms.begin(), chat.rooms.end(), *room_id) == chat.rooms.end()) {
    return refuse(socket, ack, Error{Errc::forbidden, "join room " + *room_id + " before sending to it"});
  }
  if (!sending_) return refuse(socket, ack, Error{Errc::unavailable, "the server is shutting down"});
  // Overloaded: deliveries already wait longer than allowed. A send accepted now would only
  // wait behind them (and its ack too); refused, the client retries once the queue has drained.
  // A measure older than a second says nothing: with no events flowing there is no queue.
  if (queue_delay_ > options_.max_queue_delay &&
      std::chrono::steady_clock::now() - queue_delay_measured_ < std::chrono::seconds(1)) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(queue_delay_) + std::chrono::milliseconds(1);
    if (options_.metrics != nullptr) options_.metrics->overload_refusals.add();
    return refuse_unavailable(socket, ack,
                              "the gateway is overloaded: deliveries wait " + std::to_string(wait.count()) + " ms", wait);
  }
  if (options_.ack_after_stored && process_.commits.waiting() >= kMaxAwaitingCommit) {
    return refuse_unavailable(socket, ack,
                              std::to_string(kMaxAwaitingCommit) + " sends already wait for PostgreSQL to store them",
                              std::chrono::seconds(1));
  }
  if (auto wait = budgets_.take(limits::Budget::sends, chat.user.user_id)) {
    return refuse_rate_limited(socket, ack,
                               "too many messages: at most " +
                                   std::to_string(static_cast<int>(budgets_.rates().sends.rate)) +
                                   " a second, socket and REST together",
                               *wait);
  }
  chat::Message message;
  const nlohmann::json* type = payload.contains("type") ? &payload["type"] : nullptr;
  if (type != nullptr && !type->is_null()) {
    auto parsed = type->is_string() ? chat::parse_message_type(type->get<std::string>()) : std::nullopt;
    if (!parsed) return refuse(socket, ack, Error{Errc::validation, "type must be TEXT or IMAGE"});
    message.type = *parsed;
  }
  if (!payload.contains("content") || !payload["content"].is_string()) {
    return refuse(socket, ack, Error{Errc::validation, "content is required"});
  }
  message.content = payload["content"].get<std::string>();
  if (auto valid = chat::validate_client_content(message.type, message.content); !valid) {
    return refuse(socket, ack, valid.error());
  }
  if (payload.contains("id") && !payload["id"].is_null()) {
    if (!payload["id"].is_string() || !is_uuid(payload["id"].get<std::string>())) {
      return refuse(socket, ack, Error{Errc::validation, "id must be a UUID"});
    }
    message.id = canonical_uuid(payload["id"].get<std::string>());
  } else {
    message.id = new_uuid();
  }
  message.room_id = *room_id;
  message.sender_id = chat.user.user_id;
  message.sender_name = chat.user.name;
  message.created_at = now_micros();
  // Always published, also when the id was seen here before: only the stream knows whether an
  // id is taken, and by whom (on_published).
  const std::string text = chat::to_json(message).dump();
  const std::string subject = chat::message_subject(room->second->membership.type(), *room_id);
  auto& waiting = pending_sends_[message.id];
  waiting.push_back(PendingSend{socket.id(), ack, message, std::chrono::steady_clock::now()});
  auto published = publisher_->publish(subject, text, message.id, origin(socket));
  if (!published) {
    waiting.pop_back();
    if (waiting.empty()) pending_sends_.erase(message.id);
    return refuse(socket, ack, Error{Errc::unavailable, "message not accepted: " + published.error().message});
  }
  counters_.messages_sent.fetch_add(1, std::memory_order_relaxed);
}

void ChatGateway::on_published(const std::string& msg_id, Result<bus::PublishAck> stored) {
  auto it = pending_sends_.find(msg_id);
  if (it == pending_sends_.end()) return;
  PendingSend send = std::move(it->second.front());
  it->second.pop_front();
  if (it->second.empty()) pending_sends_.erase(it);
  SioSocket* socket = find_socket(send.socket_id);
  if (socket == nullptr) return;
  if (!stored) return answer_send(*socket, send, tl::unexpected(stored.error()));
  if (!stored->duplicate) {
    return answer_stored(send, {{"success", true}, {"message", chat::to_json(send.message)}, {"duplicate", false}}, false);
  }
  // The stream had the id and dropped this copy: a retry gets the message stored first, a
  // different message under a taken id is CONFLICT.
  const bus::StreamMessageRequest read = bus::stream_message_request(bus::kMessagesStream, stored->sequence);
  requester_.request(read.subject, read.payload, options_.service_timeout, [this, send](Result<std::string> reply) {
    web_->post([this, send, reply = std::move(reply)] { on_original(send, reply); });
  });
}

void ChatGateway::on_original(const PendingSend& send, const Result<std::string>& reply) {
  SioSocket* socket = find_socket(send.socket_id);
  if (socket == nullptr) return;
  auto original = reply ? chat::message_from_json(proto::parse_bounded_json(*reply)) : tl::unexpected(reply.error());
  if (!original) {
    return answer_send(*socket, send,
                       fail(Errc::unavailable, "message id " + send.message.id +
                                                   " was sent before, and its first copy could not be read: " +
                                                   original.error().message));
  }
  if (auto resend = chat::check_resend(*original, send.message.room_id, send.message.sender_id); !resend) {
    return answer_send(*socket, send, tl::unexpected(resend.error()));
  }
  answer_stored(send, {{"success", true}, {"message", chat::to_json(*original)}, {"duplicate", true}}, true);
}

struct ChatGateway::AwaitingCommit {
  PendingSend send;
  nlohmann::json success;
  bool answered = false;
};

void ChatGateway::answer_stored(const PendingSend& send, nlohmann::json success, bool duplicate) {
  if (!options_.ack_after_stored) {
    SioSocket* socket = find_socket(send.socket_id);
    if (socket != nullptr) answer_send(*socket, send, std::move(success));
    return;
  }
  auto awaiting = std::make_shared<AwaitingCommit>(AwaitingCommit{send, std::move(success)});
  process_.commits.await(send.message.id, [this, awaiting](bool committed) {
    web_->post([this, awaiting, committed] {
      if (committed) return finish_commit(*awaiting, {});
      ask_if_committed(awaiting, true);
    });
  });
  if (duplicate) ask_if_committed(awaiting, false);
}

void ChatGateway::ask_if_committed(const std::shared_ptr<AwaitingCommit>& awaiting, bool last) {
  if (awaiting->answered) return;
  requester_.request(
      chat::kStoredSubject, chat::commit_notice({awaiting->send.message.id}), options_.service_timeout, [this, awaiting, last](Result<std::string> reply) {
        web_->post([this, awaiting, last, reply = std::move(reply)] {
          const std::string& id = awaiting->send.message.id;
          Result<nlohmann::json> data =
              reply ? proto::open_envelope(proto::parse_bounded_json(*reply)) : tl::unexpected(reply.error());
          const std::vector<std::string> stored = data ? chat::ids_of(*data, "stored") : std::vector<std::string>{};
          if (std::find(stored.begin(), stored.end(), id) != stored.end()) return finish_commit(*awaiting, {});
          if (!last) return;  // the notice is still awaited
          finish_commit(*awaiting,
                        fail(Errc::unavailable, "message " + id + " is in the stream but not yet stored in PostgreSQL " +
                                                    (data ? std::string("after ") + std::to_string(kCommitPatience.count() / 1000) + " s"
                                                          : "(the service cannot say: " + data.error().message + ")") +
                                                    "; resend it with the same id"));
        });
      });
}

void ChatGateway::finish_commit(AwaitingCommit& awaiting, Result<void> committed) {
  if (awaiting.answered) return;
  awaiting.answered = true;
  SioSocket* socket = find_socket(awaiting.send.socket_id);
  if (socket == nullptr) return;
  if (!committed) return answer_send(*socket, awaiting.send, tl::unexpected(committed.error()));
  answer_send(*socket, awaiting.send, std::move(awaiting.success));
}

void ChatGateway::answer_send(SioSocket& socket, const PendingSend& send, Result<nlohmann::json> outcome) {
  if (options_.metrics != nullptr) {
    options_.metrics->send_ack.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - send.sent_at).count());
  }
  if (!outcome) return refuse(socket, send.ack_id, outcome.error());
  succeed(socket, send.ack_id, std::move(*outcome));
}

void ChatGateway::typing(SioSocket& socket, const nlohmann::json& payload, Ack ack) {
  auto room_id = room_id_of(payload);
  if (!room_id) return refuse(socket, ack, room_id.error());
  ChatSocket& chat = state(socket);
  if (std::find(chat.rooms.begin(), chat.rooms.end(), *room_id) == chat.rooms.end()) {
    return refuse(socket, ack, Error{Errc::forbidden, "join room " + *room_id + " before typing in it"});
  }
  // Beyond the limit typing is dropped without a word: it is a hint, and an error for each
  // one would cost more than the event.
  if (!chat.typing.take(std::chrono::steady_clock::now())) return succeed(socket, ack, {{"success", true}});
  const bool is_typing = payload.contains("isTyping") && payload["isTyping"].is_boolean() && payload["isTyping"].get<bool>();
  nlohmann::json event = {
      {"roomId", *room_id}, {"userId", chat.user.user_id}, {"userName", chat.user.name}, {"isTyping", is_typing}};
  if (auto published = nats_.publish(chat::typing_subject(*room_id), event.dump(), origin(socket)); !published) {
    return refuse(socket, ack, Error{Errc::unavailable, published.error().message});
  }
  if (ack) succeed(socket, ack, {{"success", true}});
}

// --- deliveries ---

// How long the oldest of a batch of room events waited for this thread: the gateway's own
// measure of overload.
void ChatGateway::on_room_events(std::vector<RoomDelivery>& batch, std::chrono::steady_clock::time_point oldest) {
  queue_delay_measured_ = std::chrono::steady_clock::now();
  queue_delay_ = queue_delay_measured_ - oldest;
  for (const RoomDelivery& delivery : batch) on_room_event(delivery);
}

void ChatGateway::on_room_event(const RoomDelivery& delivery) {
  auto it = room_subscriptions_.find(delivery.room_id);
  if (it == room_subscriptions_.end()) return;  // the last socket left meanwhile
  Room& room = *it->second;
  switch (delivery.kind) {
    case RoomDelivery::Kind::message: {
      if (options_.metrics != nullptr && delivery.created_at) {
        options_.metrics->delivery.observe(static_cast<double>(now_micros() - *delivery.created_at) / 1e6);
      }
      const std::size_t reached = deliver(room, delivery.frame, delivery.except_socket);
      counters_.deliveries.fetch_add(reached, std::memory_order_relaxed);
      return;
    }
    case RoomDelivery::Kind::typing:
    case RoomDelivery::Kind::joined:
    case RoomDelivery::Kind::left:
      deliver(room, delivery.frame, delivery.except_socket);
      return;
    case RoomDelivery::Kind::members: {
      room.membership.replace_members(*delivery.members);
      // Sockets of users no longer in the room leave it (and may be the last, closing the room).
      std::vector<SioSocket*> removed;
      for (SioSocket* socket : room.sockets) {
        if (!room.membership.has_member(state(*socket).user.user_id)) removed.push_back(socket);
      }
      const std::string room_id = delivery.room_id;
      for (SioSocket* socket : removed) {
        leave(*socket, room_id, true);
        socket->emit(event_frame(kNamespace, "error",
                                 {{"message", "no longer a member of room " + room_id}, {"code", "FORBIDDEN"}}));
      }
      return;
    }
  }
}

std::size_t ChatGateway::deliver(Room& room, const Frame& frame, const std::string& except_socket) {
  std::size_t reached = 0;
  for (SioSocket* socket : room.sockets) {
    if (!except_socket.empty() && socket->id() == except_socket) continue;
    socket->emit(frame);
    ++reached;
  }
  return reached;
}

// --- helpers ---

bus::Headers ChatGateway::origin(const SioSocket& socket) const {
  return process_.rooms.origin(socket.id());
}

void ChatGateway::refuse(SioSocket& socket, Ack ack, const Error& error) {
  const std::string code(code_name(error.code));
  if (ack) {
    socket.ack(*ack, nlohmann::json::array(
                         {{{"success", false}, {"error", {{"code", code}, {"message", error.message}}}}}));
  }
  socket.emit(event_frame(kNamespace, "error", {{"message", error.message}, {"code", code}}));
}

void ChatGateway::refuse_rate_limited(SioSocket& socket, Ack ack, const std::string& what, std::chrono::milliseconds retry) {
  const std::int64_t retry_ms = retry.count();
  const std::string message = what + "; retry in " + std::to_string(retry_ms) + " ms";
  nlohmann::json error = {{"code", code_name(Errc::rate_limited)}, {"message", message}, {"retryAfterMs", retry_ms}};
  if (ack) socket.ack(*ack, nlohmann::json::array({{{"success", false}, {"error", error}}}));
  socket.emit(event_frame(kNamespace, "error", error));
}

void ChatGateway::refuse_unavailable(SioSocket& socket, Ack ack, const std::string& what, std::chrono::milliseconds retry) {
  nlohmann::json error = {{"code", code_name(Errc::unavailable)}, {"message", what}, {"retryAfterMs", retry.count()}};
  if (ack) socket.ack(*ack, nlohmann::json::array({{{"success", false}, {"error", error}}}));
  socket.emit(event_frame(kNamespace, "error", error));
}

void ChatGateway::succeed(SioSocket& socket, Ack ack, nlohmann::json data) {
  if (ack) socket.ack(*ack, nlohmann::json::array({std::move(data)}));
}

SioSocket* ChatGateway::find_socket(const std::string& socket_id) const {
  auto it = online_users_.find(socket_id);
  return it == online_users_.end() ? nullptr : it->second;
}

}  // namespace parkchat::gateway
