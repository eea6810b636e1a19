#pragma once
// Messages and read positions in PostgreSQL: idempotent saves, cursor-paged history, read marks
// and unread counts (the batched insert of JetStream's deliveries: message_batches.hpp). Works
// inside a transaction it is given; one instance per transaction.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "core/base/error.hpp"
#include "core/chat/cursor.hpp"
#include "core/chat/message.hpp"
#include "core/chat/room.hpp"

namespace parkchat::store {

constexpr int kMaxPageSize = 100;
constexpr int kDefaultPageSize = 50;

struct SaveCheck {
  chat::RoomType room_type = chat::RoomType::group;
  std::optional<chat::Message> stored;  // the message already saved under the id: a retry
};

struct MessagePage {
  std::vector<chat::Message> messages;  // newest first
  bool has_more = false;
  std::optional<std::string> next_cursor;
};

struct UnreadCounts {
  std::int64_t total = 0;
  std::vector<std::pair<std::string, std::int64_t>> rooms;
};


class MessageRepository {
 public:
  // `tx` must outlive the repository.
  explicit MessageRepository(pqxx::work& tx) : tx_(tx) {}

  // What saving `message` would mean: the sender must be an active member (else NOT_FOUND); a
  // message already stored under its id is returned when this is a retry of it (CONFLICT when
  // it is another's); a new message in a read-only room is FORBIDDEN.
  Result<SaveCheck> check_save(const chat::Message& message);
  // Stores `message` (nothing when its id is stored already: the persister may have been
  // first) and moves the room's updated_at either way.
  Result<void> insert(const chat::Message& message);
  // Which of `ids` (canonical UUIDs) are stored.
  std::vector<std::string> stored_ids(const std::vector<std::string>& ids);
  // Newest first, after `cursor`; `limit` is clamped to 1..100. NOT_FOUND unless a member.
  Result<MessagePage> list(const std::string& room_id, std::int64_t user, int limit,
                           const std::optional<chat::Cursor>& cursor);
  // Moves the member's read position forward to `message_id` (never back); returns the room's
  // unread count for the member.
  Result<std::int64_t> mark_read(const std::string& room_id, std::int64_t user, const std::string& message_id);
  // Unread counts of every room the user is in, and their total.
  Result<UnreadCounts> unread(std::int64_t user);

 private:
  pqxx::work& tx_;
};

}  // namespace parkchat::store
