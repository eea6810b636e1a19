#pragma once
// The batched insert that persists what JetStream delivers: chat::Message values in, one
// statement and one transaction per batch, no room locks (several writers insert in parallel).
// A batch PostgreSQL refuses for its data fails with VALIDATION (SQLSTATE classes 22 and 23),
// so that the caller can find the message at fault; anything else is UNAVAILABLE or INTERNAL.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/base/clock.hpp"
#include "core/base/error.hpp"
#include "core/chat/message.hpp"
#include "core/store/pqxx_fwd.hpp"

namespace parkchat::store {

struct BatchOutcome {
  std::vector<Micros> inserted_created;        // createdAt of each new row (duplicates insert none)
  std::vector<std::string> unknown_room_ids;   // ids of messages not stored: their room does not exist
  // positions (in the batch) of messages not stored: another room's or sender's message has
  // their id, stored before or earlier in the batch
  std::vector<std::size_t> conflicting;
};

// Duplicates (by id, in the batch or already stored with the same room and sender) are ignored.
Result<BatchOutcome> store_message_batch(pqxx::connection* conn, const std::vector<chat::Message>& messages);

// Moves each room's updated_at forward to `newest` (roomId → createdAt), locking rooms in id
// order so that concurrent writers cannot deadlock; its own short transaction.
Result<void> bump_room_times(pqxx::connection* conn, const std::map<std::string, Micros>& newest);

}  // namespace parkchat::store
