#include "daemon/service/chat_service.hpp"

#include <pqxx/pqxx>

#include "core/base/uuid.hpp"
#include "core/bus/streams.hpp"
#include "core/chat/commit_notice.hpp"
#include "core/chat/room.hpp"
#include "core/chat/subjects.hpp"
#include "core/obs/log.hpp"
#include "core/proto/envelope.hpp"
#include "core/proto/fields.hpp"
#include "core/store/message_repository.hpp"
#include "core/store/room_repository.hpp"
#include "core/store/sql_rows.hpp"
#include "daemon/service/requests.hpp"
#include "core/proto/bounded_json.hpp"

namespace parkchat::service {

// What a handler produced: the reply data (or error), and what to publish after commit.
struct ChatService::Context {
  pqxx::connection* conn;  // null while the database is unavailable
  bus::NatsClient& nats;
};

struct ChatService::Outcome {
  Result<nlohmann::json> reply = nlohmann::json();
  std::vector<chat::Message> to_publish;  // on the room's subject, after commit
  chat::RoomType room_type = chat::RoomType::group;
  std::optional<bool> duplicate;
  // After a membership change: {roomId, memberIds}, for gateways to bring their caches up to date.
  std::optional<nlohmann::json> members;
};

namespace {

using Outcome = ChatService::Outcome;
using store::in_transaction;

Outcome failed(const Error& e) { return Outcome{tl::unexpected(e), {}, {}, {}, {}}; }

Outcome from_change(const Result<store::RoomChange>& change, nlohmann::json reply) {
  if (!change) return failed(change.error());
  nlohmann::json member_ids = nlohmann::json::array();
  for (const auto& member : change->room.members) member_ids.push_back(member.user_id);
  return Outcome{std::move(reply), change->system_messages, change->room.type, {},
                 nlohmann::json{{"roomId", change->room.id}, {"memberIds", std::move(member_ids)}}};
}

Outcome rooms_list(const ChatService::Context& context, const nlohmann::json& p) {
  pqxx::connection* conn = context.conn;
  auto user = user_id(p);
  if (!user) return failed(user.error());
  auto rooms = in_transaction<std::vector<chat::Room>>(conn, [&](pqxx::work& tx) { return store::RoomRepository(tx).list(*user); });
  if (!rooms) return failed(rooms.error());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& room : *rooms) out.push_back(chat::to_json(room));
  return Outcome{out, {}, {}, {}, {}};
}

Outcome rooms_get(const ChatService::Context& context, const nlohmann::json& p) {
  pqxx::connection* conn = context.conn;
  auto room = room_id(p);
  if (!room) return failed(room.error());
  auto user = user_id(p);
  if (!user) return failed(user.error());
  auto found = in_transaction<chat::Room>(conn, [&](pqxx::work& tx) { return store::RoomRepository(tx).get(*room, *user); });
  if (!found) return failed(found.error());
  return Outcome{chat::to_json(*found), {}, {}, {}, {}};
}

Outcome rooms_create(const ChatService::Context& context, const nlohmann::json& p) {
  pqxx::connection* conn = context.conn;
  auto request = create_room_request(p);
  if (!request) return failed(request.error());
  auto change = in_transaction<store::RoomChange>(conn, [&](pqxx::work& tx) { return store::RoomRepository(tx).create(*request); });
  if (!change) return failed(change.error());
  nlohmann::json room = chat::to_json(change->room);
  room["created"] = change->created;
  return from_change(change, std::move(room));
}

Outcome rooms_add_members(const ChatService::Context& context, const nlohmann::json& p) {
  pqxx::connection* conn = context.conn;
  auto request = add_members_request(p);
  if (!request) return failed(request.error());
  auto change = in_transaction<store::RoomChange>(conn, [&](pqxx::work& tx) {
    return store::RoomRepository(tx).add_members(request->room_id, request->actor, request->users);
  });
  if (!change) return failed(change.error());
  return from_change(change, chat::to_json(change->room));
}

Outcome rooms_remove_member(const ChatService::Context& context, const nlohmann::json& p) {
  pqxx::connection* conn = context.conn;
  auto room = room_id(p);
  if (!room) return failed(room.error());
  auto actor = user_id(p);
  if (!actor) return failed(actor.error());
  auto target = proto::optional_int(p, {"targetUserId", "target_user_id"});
  if (!target) return failed(target.error());
  const std::int64_t who = target->value_or(*actor);
  auto change = in_transaction<store::RoomChange>(
      conn, [&](pqxx::work& tx) { return store::RoomRepository(tx).remove_member(*room, *actor, who); });
  if (!change) return failed(change.error());
  nlohmann::json reply = who == *actor ? nlohmann::json{{"roomId", *room}, {"userId", who}} : chat::to_json(change->room);
  return from_change(change, std::move(reply));
}

Outcome messages_list(const ChatService::Context& context, const nlohmann::json& p) {
  pqxx::connection* conn = context.conn;
  auto request = list_messages_request(p);
  if (!request) return failed(request.error());
  auto page = in_transaction<store::MessagePage>(conn, [&](pqxx::work& tx) {
    return store::MessageRepository(tx).list(request->room_id, request->user, request->limit, request->cursor);
  });
  if (!page) return failed(page.error());
  nlohmann::json messages = nlohmann::json::array();
  for (const auto& m : page->messages) messages.push_back(chat::to_json(m));
  return Outcome{nlohmann::json{{"messages", std::move(messages)},
                                {"hasMore", page->has_more},
                                {"nextCursor", page->next_cursor ? nlohmann::json(*page->next_cursor) : nlohmann::json()}},
                 {}, {}, {}, {}};
}

// The message that the stream stored first under an id, `sequence` in CHAT_MESSAGES.
Result<chat::Message> stored_original(bus::NatsClient& nats, std::uint64_t sequence) {
  const bus::StreamMessageRequest read = bus::stream_message_request(bus::kMessagesStream, sequence);
  auto reply = nats.request(read.subject, read.payload, std::chrono::seconds(5));
  if (!reply) return tl::unexpected(reply.error());
  auto original = chat::message_from_json(proto::parse_bounded_json(*reply));
  if (!original) return fail(Errc::unavailable, "message " + std::to_string(sequence) + " of CHAT_MESSAGES unreadable");
  return original;
}

struct Saved {
  chat::Message message;  // as first stored under its id
  bool duplicate = false;
};

// Published before it is stored, inside the transaction: the stream decides whether the id is
// new (it may hold a socket's message with this id that history does not have yet), and what
// the stream has, the persister stores, also when this transaction fails afterwards.
Outcome messages_save(const ChatService::Context& context, const nlohmann::json& p) {
  auto message = save_message_request(p, now_micros());
  if (!message) return failed(message.error());
  const chat::Message& m = *message;
  auto saved = in_transaction<Saved>(context.conn, [&](pqxx::work& tx) -> Result<Saved> {
    store::MessageRepository messages(tx);
    auto check = messages.check_save(m);
    if (!check) return tl::unexpected(check.error());
    if (check->stored) return Saved{*check->stored, true};
    auto published = context.nats.publish_durable(chat::message_subject(check->room_type, m.room_id),
                                                  chat::to_json(m).dump(), m.id);
    if (!published) return tl::unexpected(published.error());
    if (published->duplicate) {
      auto original = stored_original(context.nats, published->sequence);
      if (!original) return tl::unexpected(original.error());
      if (auto resend = chat::check_resend(*original, m.room_id, m.sender_id); !resend) {
        return tl::unexpected(resend.error());
      }
      // Stored here too (the persister may not have it yet): what REST acknowledges is in
      // history, whatever --ack-after says.
      if (auto inserted = messages.insert(*original); !inserted) return tl::unexpected(inserted.error());
      return Saved{std::move(*original), true};
    }
    if (auto inserted = messages.insert(m); !inserted) return tl::unexpected(inserted.error());
    return Saved{m, false};
  });
  if (!saved) return failed(saved.error());
  nlohmann::json data = chat::to_json(saved->message);
  data["duplicate"] = saved->duplicate;
  return Outcome{std::move(data), {}, {}, saved->duplicate, {}};
}

// chat.messages.stored: which of the ids are in history (for --ack-after stored, when a
// gateway missed the persister's notice).
Outcome messages_stored(const ChatService::Context& context, const nlohmann::json& p) {
  const std::vector<std::string> ids = chat::ids_of(p);
  auto stored = in_transaction<std::vector<std::string>>(
      context.conn, [&](pqxx::work& tx) -> Result<std::vector<std::string>> { return store::MessageRepository(tx).stored_ids(ids); });
  if (!stored) return failed(stored.error());
  return Outcome{nlohmann::json{{"stored", std::move(*stored)}}, {}, {}, {}, {}};
}

Outcome health(const ChatService::Context& context, const nlohmann::json&) {
  pqxx::connection* conn = context.conn;
  auto checked = in_transaction<void>(conn, [](pqxx::work& tx) -> Result<void> {
    tx.exec("SELECT 1");
    return {};
  });
  if (!checked) return failed(checked.error());
  return Outcome{nlohmann::json{{"database", "ok"}}, {}, {}, {}, {}};
}

Outcome messages_mark_read(const ChatService::Context& context, const nlohmann::json& p) {
  pqxx::connection* conn = context.conn;
  auto room = room_id(p);
  if (!room) return failed(room.error());
  auto user = user_id(p);
  if (!user) return failed(user.error());
  const nlohmann::json* message = proto::find(p, {"messageId", "message_id"});
  if (message == nullptr) return failed(Error{Errc::validation, "messageId is required"});
  if (!message->is_string() || !is_uuid(message->get<std::string>())) {
    return failed(Error{Errc::not_found, "message not found in this room"});
  }
  const std::string message_id = canonical_uuid(message->get<std::string>());
  auto unread = in_transaction<std::int64_t>(
      conn, [&](pqxx::work& tx) { return store::MessageRepository(tx).mark_read(*room, *user, message_id); });
  if (!unread) return failed(unread.error());
  return Outcome{nlohmann::json{{"roomId", *room}, {"unreadCount", *unread}}, {}, {}, {}, {}};
}

Outcome messages_unread_count(const ChatService::Context& context, const nlohmann::json& p) {
  pqxx::connection* conn = context.conn;
  auto user = user_id(p);
  if (!user) return failed(user.error());
  auto counts = in_transaction<store::UnreadCounts>(conn, [&](pqxx::work& tx) { return store::MessageRepository(tx).unread(*user); });
  if (!counts) return failed(counts.error());
  nlohmann::json rooms = nlohmann::json::object();
  for (const auto& [room, n] : counts->rooms) rooms[room] = n;
  return Outcome{nlohmann::json{{"total", counts->total}, {"rooms", std::move(rooms)}}, {}, {}, {}, {}};
}

Outcome booking_sync(pqxx::connection* conn, const nlohmann::json& p, bool cancelled) {
  auto event = booking_event(p);
  if (!event) return failed(event.error());
  auto change = in_transaction<store::RoomChange>(conn, [&](pqxx::work& tx) {
    return store::RoomRepository(tx).sync_booking(event->booking_id, event->name, event->participants, cancelled);
  });
  if (!change) return failed(change.error());
  return from_change(change, nlohmann::json{{"roomId", change->room.id}, {"created", change->created}});
}

Outcome booking_changed(const ChatService::Context& context, const nlohmann::json& p) {
  return booking_sync(context.conn, p, false);
}
Outcome booking_cancelled(const ChatService::Context& context, const nlohmann::json& p) {
  return booking_sync(context.conn, p, true);
}

// Figures for `parkchat stats`: row counts (the statistics collector's live-row estimates, so
// that a large table costs nothing to count) and the JetStream streams.
Outcome stats(const ChatService::Context& context, const nlohmann::json&) {
  nlohmann::json out = {{"database", nullptr}, {"streams", nullptr}};
  auto rows = in_transaction<nlohmann::json>(context.conn, [](pqxx::work& tx) -> Result<nlohmann::json> {
    nlohmann::json tables = nlohmann::json::object();
    for (const auto& row : tx.exec("SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname IN "
                                   "('chat_rooms', 'chat_room_members', 'chat_messages', 'message_reads')")) {
      tables[row[0].as<std::string>()] = row[1].as<std::int64_t>();
    }
    return tables;
  });
  if (rows) out["database"] = std::move(*rows);
  if (auto streams = bus::report_streams(context.nats)) {
    out["streams"] = nlohmann::json::array();
    for (const auto& stream : *streams) {
      nlohmann::json consumers = nlohmann::json::object();
      for (const auto& c : stream.consumers) consumers[c.name] = {{"pending", c.pending}, {"ackPending", c.ack_pending}};
      nlohmann::json entry = {{"name", stream.name},       {"messages", stream.messages}, {"bytes", stream.bytes},
                              {"replicas", stream.replicas}, {"consumers", consumers}};
      if (!stream.leader.empty()) {
        entry["leader"] = stream.leader;
        nlohmann::json peers = nlohmann::json::array();
        for (const auto& peer : stream.peers) {
          peers.push_back({{"name", peer.name}, {"current", peer.current}, {"offline", peer.offline}});
        }
        entry["peers"] = std::move(peers);
      }
      out["streams"].push_back(std::move(entry));
    }
  }
  return Outcome{std::move(out), {}, {}, {}, {}};
}

struct Route {
  const char* subject;
  Outcome (*handler)(const ChatService::Context&, const nlohmann::json&);
};

constexpr Route kRoutes[] = {
    {"chat.rooms.list", rooms_list},
    {"chat.rooms.get", rooms_get},
    {"chat.rooms.create", rooms_create},
    {"chat.rooms.removeMember", rooms_remove_member},
    {"chat.rooms.addMembers", rooms_add_members},
    {"chat.messages.list", messages_list},
    {"chat.messages.save", messages_save},
    {"chat.messages.markRead", messages_mark_read},
    {"chat.messages.unreadCount", messages_unread_count},
    {chat::kStoredSubject, messages_stored},
    {"booking.created", booking_changed},
    {"booking.updated", booking_changed},
    {"booking.cancelled", booking_cancelled},
    {"chat.health", health},
    {"chat.stats", stats},
};

}  // namespace

Result<void> ChatService::start() {
  for (const Route& route : kRoutes) {
    Handler handler = route.handler;
    auto sub = nats_.subscribe(route.subject, kQueueGroup, [this, handler](bus::MsgPtr msg) { dispatch(handler, std::move(msg)); });
    if (!sub) return tl::unexpected(sub.error());
    subscriptions_.push_back(std::move(*sub));
  }
  return nats_.flush(std::chrono::seconds(5));
}

void ChatService::stop() { subscriptions_.clear(); }

void ChatService::dispatch(Handler handler, bus::MsgPtr msg) {
  if (gate_ != nullptr && !gate_->is_open()) {
    const std::string reason = gate_->reason();
    if (natsMsg_GetReply(msg.get()) != nullptr) {
      nats_.respond(msg.get(), proto::error_envelope({Errc::unavailable, reason}).dump());
    } else {
      obs::logger("service")->warn("event on {} dropped: {}", natsMsg_GetSubject(msg.get()), reason);
    }
    return;
  }
  nlohmann::json payload = proto::parse_bounded_json(bus::payload(msg.get()));
  if (payload.is_discarded() || !payload.is_object()) {
    nats_.respond(msg.get(), proto::error_envelope({Errc::validation, "payload must be a JSON object"}).dump());
    return;
  }
  // std::function needs a copyable callable; the message moves into shared ownership.
  std::shared_ptr<natsMsg> shared(msg.release(), bus::MsgDeleter());
  db_.submit([this, handler, shared, payload = std::move(payload)](pqxx::connection* conn) {
    Outcome outcome = handler(Context{conn, nats_}, payload);
    nlohmann::json reply = outcome.reply ? proto::ok_envelope(std::move(*outcome.reply)) : proto::error_envelope(outcome.reply.error());
    if (outcome.duplicate) reply["duplicate"] = *outcome.duplicate;
    // Published before the reply: once a sender has its answer, its next message (by any path)
    // must not reach the room first (CONTRACT §7.3). JetStream's ack means NATS has routed it.
    publish_messages(outcome);
    nats_.respond(shared.get(), reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (outcome.members) {
      const std::string subject = chat::members_subject((*outcome.members)["roomId"].get<std::string>());
      if (auto published = nats_.publish(subject, outcome.members->dump()); !published) {
        obs::logger("service")->warn("membership change not published err={}", published.error().message);
      }
    }
    handled_.fetch_add(1, std::memory_order_relaxed);
  });
}

void ChatService::publish_messages(const Outcome& outcome) {
  for (const chat::Message& m : outcome.to_publish) {
    auto published = nats_.publish_durable(chat::message_subject(outcome.room_type, m.room_id), chat::to_json(m).dump(), m.id);
    if (!published) obs::logger("service")->warn("message not published id={} err={}", m.id, published.error().message);
  }
}

}  // namespace parkchat::service
