#pragma once
// Shared pieces of the chat repositories: column lists, row readers and the SYSTEM message
// writer, so that every query reads rooms and messages the same way.

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "core/base/error.hpp"
#include "core/chat/message.hpp"
#include "core/chat/room.hpp"

namespace parkchat::store {

// Microseconds since the epoch of a timestamptz column, as SQL.
#define PARKCHAT_MICROS(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

// id, room_id, sender_id, sender_name, content, type, created_at of chat_messages aliased `m`.
extern const char* const kMessageColumns;
chat::Message read_message(const pqxx::row& row, int first);

// The unread count of the membership row aliased `mem`: messages of others after its read
// position, SYSTEM messages excluded. Without a read position, everything since joining.
extern const char* const kUnreadCount;

// '{uuid,uuid}' for `= ANY($1::uuid[])`; the ids are validated UUIDs, so no quoting is needed.
std::string uuid_array(const std::vector<std::string>& ids);

// Inserts a SYSTEM message (sender 0, "system") and returns it.
chat::Message insert_system_message(pqxx::work& tx, const std::string& room_id, const std::string& text);

// Runs fn(tx) in a transaction on conn; commits when it returns a value, rolls back on an error
// value. Converts libpqxx exceptions into UNAVAILABLE (connection lost) or INTERNAL.
template <class T, class Fn>
Result<T> in_transaction(pqxx::connection* conn, Fn&& fn);

Error database_error(const std::exception& e);

template <class T, class Fn>
Result<T> in_transaction(pqxx::connection* conn, Fn&& fn) {
  if (conn == nullptr) return fail(Errc::unavailable, "database unavailable");
  try {
    pqxx::work tx(*conn);
    Result<T> result = fn(tx);
    if (result) tx.commit();
    return result;
  } catch (const std::exception& e) {
    return tl::unexpected(database_error(e));
  }
}

}  // namespace parkchat::store
