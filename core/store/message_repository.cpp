#include "core/store/message_repository.hpp"

#include <algorithm>

#include "core/store/sql_rows.hpp"

namespace parkchat::store {
namespace {

// Whether `user` is an active member; every read of a room checks this first, so that a room of
// others answers exactly like a missing one.
bool is_member(pqxx::work& tx, const std::string& room_id, std::int64_t user) {
  return !tx.exec_params("SELECT 1 FROM chat_room_members WHERE room_id = $1 AND user_id = $2 AND left_at IS NULL",
                         room_id, user)
              .empty();
}

std::int64_t unread_in_room(pqxx::work& tx, const std::string& room_id, std::int64_t user) {
  pqxx::result r = tx.exec_params(std::string("SELECT ") + kUnreadCount +
                                      " FROM chat_room_members mem WHERE mem.room_id = $1 AND mem.user_id = $2 "
                                      "AND mem.left_at IS NULL",
                                  room_id, user);
  return r.empty() ? 0 : r[0][0].as<std::int64_t>();
}

}  // namespace

Result<SaveCheck> MessageRepository::check_save(const chat::Message& m) {
  pqxx::result room = tx_.exec_params(
      "SELECT r.type, r.closed_at IS NOT NULL FROM chat_rooms r JOIN chat_room_members mem ON mem.room_id = r.id "
      "AND mem.user_id = $2 AND mem.left_at IS NULL WHERE r.id = $1",
      m.room_id, m.sender_id);
  if (room.empty()) return fail(Errc::not_found, "room not found");
  SaveCheck check;
  check.room_type = chat::parse_room_type(room[0][0].as<std::string>()).value_or(chat::RoomType::group);
  // A retry of a message stored before the room closed still gets its stored copy.
  pqxx::result existing =
      tx_.exec_params(std::string("SELECT ") + kMessageColumns + " FROM chat_messages m WHERE m.id = $1", m.id);
  if (!existing.empty()) {
    chat::Message stored = read_message(existing[0], 0);
    if (auto resend = chat::check_resend(stored, m.room_id, m.sender_id); !resend) return tl::unexpected(resend.error());
    check.stored = std::move(stored);
    return check;
  }
  if (room[0][1].as<bool>()) return fail(Errc::forbidden, "room is read-only");
  return check;
}

Result<void> MessageRepository::insert(const chat::Message& m) {
  tx_.exec_params(
      "INSERT INTO chat_messages (id, room_id, sender_id, sender_name, content, type, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz) ON CONFLICT (id) DO NOTHING",
      m.id, m.room_id, m.sender_id, m.sender_name, m.content, std::string(chat::type_name(m.type)),
      format_iso8601(m.created_at));
  // Also when the persister stored it first: its own bump of the room comes later, in another
  // transaction, and the sender's answer must already see the room's new activity.
  tx_.exec_params("UPDATE chat_rooms SET updated_at = GREATEST(updated_at, $2::timestamptz) WHERE id = $1",
                  m.room_id, format_iso8601(m.created_at));
  return {};
}

std::vector<std::string> MessageRepository::stored_ids(const std::vector<std::string>& ids) {
  std::vector<std::string> stored;
  if (ids.empty()) return stored;
  for (const auto& row : tx_.exec_params("SELECT id::text FROM chat_messages WHERE id = ANY($1::uuid[])", uuid_array(ids))) {
    stored.push_back(row[0].as<std::string>());
  }
  return stored;
}

Result<MessagePage> MessageRepository::list(const std::string& room_id, std::int64_t user, int limit,
                                            const std::optional<chat::Cursor>& cursor) {
  if (!is_member(tx_, room_id, user)) return fail(Errc::not_found, "room not found");
  limit = std::clamp(limit, 1, kMaxPageSize);
  // One more row than asked tells whether there is a next page. The row comparison follows the
  // (room_id, created_at DESC, id DESC) index, so equal timestamps neither skip nor repeat.
  const std::string select = std::string("SELECT ") + kMessageColumns +
                             " FROM chat_messages m WHERE m.room_id = $1 AND m.deleted_at IS NULL";
  const std::string order = " ORDER BY m.created_at DESC, m.id DESC LIMIT $2";
  pqxx::result rows =
      cursor ? tx_.exec_params(select + " AND (m.created_at, m.id) < ($3::timestamptz, $4::uuid)" + order, room_id,
                               limit + 1, format_iso8601(cursor->created_at), cursor->id)
             : tx_.exec_params(select + order, room_id, limit + 1);
  MessagePage page;
  for (const auto& row : rows) page.messages.push_back(read_message(row, 0));
  if (static_cast<int>(page.messages.size()) > limit) {
    page.messages.pop_back();
    page.has_more = true;
    const chat::Message& last = page.messages.back();
    page.next_cursor = chat::encode_cursor({last.created_at, last.id});
  }
  return page;
}

Result<std::int64_t> MessageRepository::mark_read(const std::string& room_id, std::int64_t user,
                                                  const std::string& message_id) {
  if (!is_member(tx_, room_id, user)) return fail(Errc::not_found, "room not found");
  pqxx::result message =
      tx_.exec_params("SELECT created_at FROM chat_messages WHERE id = $1 AND room_id = $2", message_id, room_id);
  if (message.empty()) return fail(Errc::not_found, "message not found in this room");
  tx_.exec_params(
      "UPDATE chat_room_members mem SET last_read_message_id = m.id, last_read_at = m.created_at "
      "FROM chat_messages m WHERE m.id = $3 AND mem.room_id = $1 AND mem.user_id = $2 AND mem.left_at IS NULL "
      "AND (mem.last_read_at IS NULL OR (m.created_at, m.id) > (mem.last_read_at, "
      "COALESCE(mem.last_read_message_id, '00000000-0000-0000-0000-000000000000'::uuid)))",
      room_id, user, message_id);
  tx_.exec_params("INSERT INTO message_reads (message_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", message_id,
                  user);
  return unread_in_room(tx_, room_id, user);
}

Result<UnreadCounts> MessageRepository::unread(std::int64_t user) {
  pqxx::result rows = tx_.exec_params(std::string("SELECT mem.room_id::text, ") + kUnreadCount +
                                          " FROM chat_room_members mem WHERE mem.user_id = $1 AND mem.left_at IS NULL",
                                      user);
  UnreadCounts counts;
  for (const auto& row : rows) {
    std::int64_t n = row[1].as<std::int64_t>();
    counts.rooms.emplace_back(row[0].as<std::string>(), n);
    counts.total += n;
  }
  return counts;
}

}  // namespace parkchat::store
