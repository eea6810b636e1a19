#include "core/store/sql_rows.hpp"

#include "core/base/uuid.hpp"
#include "core/obs/log.hpp"

namespace parkchat::store {

const char* const kMessageColumns =
    "m.id::text, m.room_id::text, m.sender_id, m.sender_name, m.content, m.type, " PARKCHAT_MICROS("m.created_at");

const char* const kUnreadCount =
    "(SELECT count(*) FROM chat_messages u WHERE u.room_id = mem.room_id AND u.deleted_at IS NULL "
    "AND u.type <> 'SYSTEM' AND u.sender_id <> mem.user_id "
    "AND (u.created_at, u.id) > (COALESCE(mem.last_read_at, mem.joined_at), "
    "COALESCE(mem.last_read_message_id, '00000000-0000-0000-0000-000000000000'::uuid)))";

chat::Message read_message(const pqxx::row& row, int first) {
  chat::Message m;
  m.id = row[first].as<std::string>();
  m.room_id = row[first + 1].as<std::string>();
  m.sender_id = row[first + 2].as<std::int64_t>();
  m.sender_name = row[first + 3].as<std::string>();
  m.content = row[first + 4].as<std::string>();
  m.type = chat::parse_message_type(row[first + 5].as<std::string>()).value_or(chat::MessageType::text);
  m.created_at = row[first + 6].as<std::int64_t>();
  return m;
}

std::string uuid_array(const std::vector<std::string>& ids) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ",";
    out += ids[i];
  }
  return out + "}";
}

chat::Message insert_system_message(pqxx::work& tx, const std::string& room_id, const std::string& text) {
  chat::Message m;
  m.id = new_uuid();
  m.room_id = room_id;
  m.sender_id = chat::kSystemSenderId;
  m.sender_name = "system";
  m.content = text;
  m.type = chat::MessageType::system;
  m.created_at = now_micros();
  tx.exec_params(
      "INSERT INTO chat_messages (id, room_id, sender_id, sender_name, content, type, created_at) "
      "VALUES ($1, $2, $3, $4, $5, 'SYSTEM', $6::timestamptz)",
      m.id, m.room_id, m.sender_id, m.sender_name, m.content, format_iso8601(m.created_at));
  tx.exec_params("UPDATE chat_rooms SET updated_at = GREATEST(updated_at, $2::timestamptz) WHERE id = $1", room_id,
                 format_iso8601(m.created_at));
  return m;
}

Error database_error(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return Error{Errc::unavailable, "database unavailable"};
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string& state = sql->sqlstate();
    // Classes 22 (data exception) and 23 (integrity constraint violation): the data was refused,
    // the database is fine. Whoever sent it can be told; a batch can be split to find it.
    if (state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0) {
      // PostgreSQL's DETAIL quotes the row, which is users' text: it stays out of logs and headers.
      std::string what = sql->what();
      what = what.substr(0, what.find("DETAIL:"));
      if (what.rfind("ERROR:", 0) == 0) what = what.substr(6);
      while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
      while (!what.empty() && what.front() == ' ') what.erase(0, 1);
      return Error{Errc::validation, "the database refused the data (SQLSTATE " + state + "): " + what};
    }
    obs::logger("store")->error("sql failed sqlstate={} err={}", state, sql->what());
    return Error{Errc::internal, "database error (SQLSTATE " + state + ")"};
  }
  obs::logger("store")->error("database failed err={}", e.what());
  return Error{Errc::internal, "database error"};
}

}  // namespace parkchat::store
