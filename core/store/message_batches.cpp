#include "core/store/message_batches.hpp"

#include <map>
#include <set>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "core/store/sql_rows.hpp"

namespace parkchat::store {
namespace {

// Both statements are prepared once per connection: planning them cost PostgreSQL more than
// running them for the batches of a steady load (a few dozen messages each).
constexpr const char* kStoreBatch = "parkchat_store_message_batch";
constexpr const char* kBumpRoomTimes = "parkchat_bump_room_times";

// One row per message not stored because its room does not exist ('unknown'), or because its
// id is already another message's ('conflict': a reuse past the stream's duplicate window), and
// one per newly inserted message. The statement's snapshot predates its insert, so the join
// with chat_messages sees earlier messages only.
constexpr const char* kStoreBatchSql =
    "WITH batch AS ("
    "  SELECT * FROM json_to_recordset($1::json) AS x(id uuid, \"roomId\" uuid, \"senderId\" bigint, "
    "    \"senderName\" text, content text, type text, \"createdAt\" timestamptz)), "
    "known AS (SELECT b.* FROM batch b WHERE EXISTS (SELECT 1 FROM chat_rooms r WHERE r.id = b.\"roomId\")), "
    "ins AS ("
    "  INSERT INTO chat_messages (id, room_id, sender_id, sender_name, content, type, created_at) "
    "  SELECT id, \"roomId\", \"senderId\", COALESCE(\"senderName\", ''), content, type, \"createdAt\" FROM known "
    "  ON CONFLICT (id) DO NOTHING RETURNING created_at) "
    "SELECT 'unknown', 0::bigint, b.id::text FROM batch b WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.id = b.id) "
    "UNION ALL SELECT DISTINCT 'existing', m.sender_id, m.id::text || ' ' || m.room_id::text "
    "  FROM known k JOIN chat_messages m ON m.id = k.id "
    "UNION ALL SELECT 'inserted', " PARKCHAT_MICROS("created_at") ", NULL FROM ins";

constexpr const char* kBumpRoomTimesSql =
    "WITH newest AS (SELECT key::uuid AS id, value::timestamptz AS at FROM json_each_text($1::json)), "
    "locked AS (SELECT r.id FROM chat_rooms r JOIN newest n ON n.id = r.id "
    "  WHERE r.updated_at < n.at ORDER BY r.id FOR NO KEY UPDATE OF r) "
    "UPDATE chat_rooms r SET updated_at = GREATEST(r.updated_at, n.at) FROM newest n, locked l "
    "WHERE r.id = n.id AND l.id = r.id";

}  // namespace

Result<BatchOutcome> store_message_batch(pqxx::connection* conn, const std::vector<chat::Message>& messages) {
  nlohmann::json rows = nlohmann::json::array();
  std::set<std::string> ids;
  for (const chat::Message& m : messages) {
    if (ids.insert(m.id).second) rows.push_back(chat::to_json(m));
  }
  const std::string rows_json = rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // Registering a definition again is a no-op; the server prepares it on first use.
  conn->prepare(kStoreBatch, kStoreBatchSql);
  return in_transaction<BatchOutcome>(conn, [&](pqxx::work& tx) -> Result<BatchOutcome> {
    pqxx::result result = tx.exec_prepared(kStoreBatch, rows_json);
    BatchOutcome outcome;
    // The first message under each id: the stored one, else the batch's first.
    std::map<std::string, chat::Message> first;
    for (const auto& row : result) {
      const std::string kind = row[0].as<std::string>();
      if (kind == "unknown") {
        outcome.unknown_room_ids.push_back(row[2].as<std::string>());
      } else if (kind == "existing") {
        const std::string id_and_room = row[2].as<std::string>();
        chat::Message stored;
        stored.id = id_and_room.substr(0, id_and_room.find(' '));
        stored.room_id = id_and_room.substr(id_and_room.find(' ') + 1);
        stored.sender_id = row[1].as<std::int64_t>();
        first[stored.id] = stored;
      } else {
        outcome.inserted_created.push_back(row[1].as<std::int64_t>());
      }
    }
    // A message under an id that another room or sender holds is not stored (the statement
    // stored, or skipped, the first of them); a copy of the same message is just a duplicate.
    for (std::size_t i = 0; i < messages.size(); ++i) {
      const chat::Message& m = messages[i];
      auto [origin, inserted] = first.emplace(m.id, m);
      if (!inserted && !chat::check_resend(origin->second, m.room_id, m.sender_id)) outcome.conflicting.push_back(i);
    }
    return outcome;
  });
}

Result<void> bump_room_times(pqxx::connection* conn, const std::map<std::string, Micros>& newest) {
  nlohmann::json times = nlohmann::json::object();
  for (const auto& [room, at] : newest) times[room] = format_iso8601(at);
  conn->prepare(kBumpRoomTimes, kBumpRoomTimesSql);
  return in_transaction<void>(conn, [&](pqxx::work& tx) -> Result<void> {
    tx.exec_prepared(kBumpRoomTimes, times.dump());
    return {};
  });
}

}  // namespace parkchat::store
