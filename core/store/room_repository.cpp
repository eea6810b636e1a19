#include "core/store/room_repository.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "core/base/uuid.hpp"
#include "core/store/sql_rows.hpp"

namespace parkchat::store {
namespace {

using chat::Room;
using chat::RoomType;

std::string display_name(const NewMember& m) {
  return m.user_name.empty() ? "user " + std::to_string(m.user_id) : m.user_name;
}

// "Ann, Bo, Cy" — at most ten names, then "and N others", so that a SYSTEM message about a large
// group stays far below the 4,000 characters a message may have.
std::string join_names(const std::vector<NewMember>& members) {
  constexpr std::size_t kNamed = 10;
  std::string out;
  for (std::size_t i = 0; i < members.size() && i < kNamed; ++i) out += (out.empty() ? "" : ", ") + display_name(members[i]);
  if (members.size() > kNamed) {
    const std::size_t rest = members.size() - kNamed;
    out += " and " + std::to_string(rest) + (rest == 1 ? " other" : " others");
  }
  return out;
}

// Distinct users other than `exclude`, first occurrence wins.
std::vector<NewMember> distinct_others(const std::vector<NewMember>& users, std::int64_t exclude) {
  std::vector<NewMember> out;
  std::set<std::int64_t> seen{exclude};
  for (const NewMember& u : users) {
    if (seen.insert(u.user_id).second) out.push_back(u);
  }
  return out;
}

// The room's columns from `r`, then the last message's from `lm`, then the unread count of `mem`.
const std::string kRoomSelect = std::string("SELECT r.id::text, r.name, r.type, r.booking_id, ") +
                                PARKCHAT_MICROS("r.created_at") + ", " + PARKCHAT_MICROS("r.updated_at") +
                                ", r.closed_at IS NOT NULL, " +
                                "lm.id::text, lm.room_id::text, lm.sender_id, lm.sender_name, lm.content, lm.type, " +
                                PARKCHAT_MICROS("lm.created_at");

const char* kLastMessageJoin =
    " LEFT JOIN LATERAL (SELECT * FROM chat_messages m WHERE m.room_id = r.id AND m.deleted_at IS NULL "
    "ORDER BY m.created_at DESC, m.id DESC LIMIT 1) lm ON true";

Room read_room(const pqxx::row& row) {
  Room room;
  room.id = row[0].as<std::string>();
  if (!row[1].is_null()) room.name = row[1].as<std::string>();
  room.type = chat::parse_room_type(row[2].as<std::string>()).value_or(RoomType::group);
  if (!row[3].is_null()) room.booking_id = row[3].as<std::int64_t>();
  room.created_at = row[4].as<std::int64_t>();
  room.updated_at = row[5].as<std::int64_t>();
  room.read_only = row[6].as<bool>();
  if (!row[7].is_null()) room.last_message = read_message(row, 7);
  return room;
}

}  // namespace

std::vector<chat::Room> RoomRepository::load(std::int64_t user, const std::optional<std::string>& only_room) {
  std::string sql = kRoomSelect + ", " + kUnreadCount +
                    " FROM chat_room_members mem JOIN chat_rooms r ON r.id = mem.room_id" + kLastMessageJoin +
                    " WHERE mem.user_id = $1 AND mem.left_at IS NULL";
  pqxx::result rows = only_room ? tx_.exec_params(sql + " AND r.id = $2::uuid", user, *only_room)
                                : tx_.exec_params(sql + " ORDER BY r.updated_at DESC, r.id", user);
  std::vector<Room> rooms;
  std::vector<std::string> ids;
  for (const auto& row : rows) {
    rooms.push_back(read_room(row));
    rooms.back().unread_count = row[14].as<std::int64_t>();
    ids.push_back(rooms.back().id);
  }
  if (ids.empty()) return rooms;
  pqxx::result members = tx_.exec_params(
      std::string("SELECT room_id::text, user_id, user_name, is_admin, ") + PARKCHAT_MICROS("joined_at") +
          " FROM chat_room_members WHERE room_id = ANY($1::uuid[]) AND left_at IS NULL "
          "ORDER BY joined_at, is_admin DESC, user_id",
      uuid_array(ids));
  std::map<std::string, std::vector<chat::Member>> by_room;
  for (const auto& row : members) {
    by_room[row[0].as<std::string>()].push_back(
        {row[1].as<std::int64_t>(), row[2].as<std::string>(), row[3].as<bool>(), row[4].as<std::int64_t>()});
  }
  for (Room& room : rooms) room.members = std::move(by_room[room.id]);
  return rooms;
}

Result<chat::Room> RoomRepository::reload(const std::string& room_id, std::int64_t user) {
  auto rooms = load(user, room_id);
  if (rooms.empty()) return fail(Errc::not_found, "room not found");
  return rooms.front();
}

std::vector<NewMember> RoomRepository::insert_members(const std::string& room_id, const std::vector<NewMember>& users,
                                                      std::optional<std::int64_t> admin) {
  if (users.empty()) return {};
  nlohmann::json rows = nlohmann::json::array();
  for (const NewMember& u : users) {
    rows.push_back({{"userId", u.user_id}, {"userName", display_name(u)}, {"isAdmin", admin == u.user_id}});
  }
  pqxx::result added = tx_.exec_params(
      "INSERT INTO chat_room_members (room_id, user_id, user_name, is_admin) "
      "SELECT $1::uuid, x.\"userId\", x.\"userName\", x.\"isAdmin\" "
      "FROM json_to_recordset($2::json) AS x(\"userId\" bigint, \"userName\" text, \"isAdmin\" boolean) "
      "ON CONFLICT (room_id, user_id) WHERE left_at IS NULL DO NOTHING RETURNING user_id, user_name",
      room_id, rows.dump());
  std::vector<NewMember> out;
  for (const auto& row : added) out.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>()});
  // RETURNING order is not insertion order; keep the caller's.
  std::vector<NewMember> ordered;
  for (const NewMember& u : users) {
    if (std::any_of(out.begin(), out.end(), [&](const NewMember& a) { return a.user_id == u.user_id; })) {
      ordered.push_back({u.user_id, display_name(u)});
    }
  }
  return ordered;
}

Result<RoomChange> RoomRepository::create(const CreateRoom& request) {
  RoomChange change;
  const std::vector<NewMember> others = distinct_others(request.others, request.creator.user_id);
  std::vector<NewMember> everyone{request.creator};
  everyone.insert(everyone.end(), others.begin(), others.end());
  std::string room_id = new_uuid();

  switch (request.type) {
    case RoomType::direct: {
      if (others.size() != 1) {
        return fail(Errc::validation, "a DIRECT room has exactly one other participant");
      }
      std::int64_t low = std::min(request.creator.user_id, others[0].user_id);
      std::int64_t high = std::max(request.creator.user_id, others[0].user_id);
      // ON CONFLICT waits for a concurrent insert of the same pair, then yields; the SELECT
      // that follows sees the winner's committed row.
      pqxx::result inserted = tx_.exec_params(
          "INSERT INTO chat_rooms (id, type, direct_user_low, direct_user_high) VALUES ($1, 'DIRECT', $2, $3) "
          "ON CONFLICT (direct_user_low, direct_user_high) DO NOTHING RETURNING id",
          room_id, low, high);
      change.created = !inserted.empty();
      if (!change.created) {
        room_id = tx_.exec_params1("SELECT id::text FROM chat_rooms WHERE direct_user_low = $1 AND direct_user_high = $2",
                                   low, high)[0]
                      .as<std::string>();
      }
      insert_members(room_id, everyone, std::nullopt);
      break;
    }
    case RoomType::group: {
      tx_.exec_params("INSERT INTO chat_rooms (id, type, name) VALUES ($1, 'GROUP', NULLIF($2, ''))", room_id,
                      request.name.value_or(""));
      insert_members(room_id, everyone, request.creator.user_id);
      change.created = true;
      std::string text = display_name(request.creator) + " created the group";
      if (!others.empty()) text += " with " + join_names(others);
      change.system_messages.push_back(insert_system_message(tx_, room_id, text));
      break;
    }
    case RoomType::booking: {
      if (!request.booking_id) return fail(Errc::validation, "a BOOKING room needs bookingId");
      pqxx::result inserted = tx_.exec_params(
          "INSERT INTO chat_rooms (id, type, booking_id, name) VALUES ($1, 'BOOKING', $2, NULLIF($3, '')) "
          "ON CONFLICT (booking_id) DO NOTHING RETURNING id",
          room_id, *request.booking_id, request.name.value_or(""));
      if (inserted.empty()) {
        room_id = tx_.exec_params1("SELECT id::text FROM chat_rooms WHERE booking_id = $1", *request.booking_id)[0]
                      .as<std::string>();
        auto existing = reload(room_id, request.creator.user_id);
        if (!existing) {
          return fail(Errc::conflict, "booking " + std::to_string(*request.booking_id) + " already has a room");
        }
        change.room = std::move(*existing);
        return change;
      }
      insert_members(room_id, everyone, request.creator.user_id);
      change.created = true;
      change.system_messages.push_back(
          insert_system_message(tx_, room_id, display_name(request.creator) + " created the booking chat"));
      break;
    }
  }
  auto room = reload(room_id, request.creator.user_id);
  if (!room) return tl::unexpected(room.error());
  change.room = std::move(*room);
  return change;
}

Result<chat::Room> RoomRepository::get(const std::string& room_id, std::int64_t user) { return reload(room_id, user); }

Result<std::vector<chat::Room>> RoomRepository::list(std::int64_t user) { return load(user, std::nullopt); }

Result<RoomChange> RoomRepository::add_members(const std::string& room_id, std::int64_t actor,
                                               const std::vector<NewMember>& users) {
  // The row lock serialises membership changes of one room (admin checks, succession).
  pqxx::result room = tx_.exec_params(
      "SELECT r.type, r.closed_at IS NOT NULL, mem.is_admin, mem.user_name FROM chat_rooms r "
      "JOIN chat_room_members mem ON mem.room_id = r.id AND mem.user_id = $2 AND mem.left_at IS NULL "
      "WHERE r.id = $1 FOR NO KEY UPDATE OF r",
      room_id, actor);
  if (room.empty()) return fail(Errc::not_found, "room not found");
  if (room[0][0].as<std::string>() != "GROUP") return fail(Errc::forbidden, "members are added to GROUP rooms only");
  if (room[0][1].as<bool>()) return fail(Errc::forbidden, "room is read-only");
  if (!room[0][2].as<bool>()) return fail(Errc::forbidden, "only an admin of the room adds members");
  if (users.empty()) return fail(Errc::validation, "userIds is empty");

  RoomChange change;
  std::vector<NewMember> added = insert_members(room_id, distinct_others(users, actor), std::nullopt);
  if (!added.empty()) {
    change.system_messages.push_back(
        insert_system_message(tx_, room_id, room[0][3].as<std::string>() + " invited " + join_names(added)));
  }
  auto reloaded = reload(room_id, actor);
  if (!reloaded) return tl::unexpected(reloaded.error());
  change.room = std::move(*reloaded);
  return change;
}

Result<RoomChange> RoomRepository::remove_member(const std::string& room_id, std::int64_t actor, std::int64_t target) {
  pqxx::result room = tx_.exec_params(
      "SELECT r.type, mem.is_admin, mem.user_name FROM chat_rooms r "
      "JOIN chat_room_members mem ON mem.room_id = r.id AND mem.user_id = $2 AND mem.left_at IS NULL "
      "WHERE r.id = $1 FOR NO KEY UPDATE OF r",
      room_id, actor);
  if (room.empty()) return fail(Errc::not_found, "room not found");
  const bool leaving = actor == target;
  if (room[0][0].as<std::string>() == "BOOKING") {
    return fail(Errc::forbidden, "the members of a BOOKING room are the booking's participants");
  }
  if (!leaving) {
    if (room[0][0].as<std::string>() != "GROUP") return fail(Errc::forbidden, "members are removed from GROUP rooms only");
    if (!room[0][1].as<bool>()) return fail(Errc::forbidden, "only an admin of the room removes members");
  }
  pqxx::result gone = tx_.exec_params(
      "UPDATE chat_room_members SET left_at = now() WHERE room_id = $1 AND user_id = $2 AND left_at IS NULL "
      "RETURNING user_name, is_admin",
      room_id, target);
  if (gone.empty()) return fail(Errc::not_found, "user " + std::to_string(target) + " is not a member of the room");

  RoomChange change;
  const std::string name = gone[0][0].as<std::string>();
  change.system_messages.push_back(insert_system_message(
      tx_, room_id, leaving ? name + " left" : room[0][2].as<std::string>() + " removed " + name));
  if (gone[0][1].as<bool>()) {
    pqxx::result promoted = tx_.exec_params(
        "UPDATE chat_room_members SET is_admin = true WHERE id = ("
        "  SELECT id FROM chat_room_members WHERE room_id = $1 AND left_at IS NULL ORDER BY joined_at, user_id LIMIT 1) "
        "AND NOT EXISTS (SELECT 1 FROM chat_room_members WHERE room_id = $1 AND left_at IS NULL AND is_admin) "
        "RETURNING user_name",
        room_id);
    if (!promoted.empty()) {
      change.system_messages.push_back(
          insert_system_message(tx_, room_id, promoted[0][0].as<std::string>() + " is now an admin"));
    }
  }
  change.room.id = room_id;
  change.room.type = chat::parse_room_type(room[0][0].as<std::string>()).value_or(RoomType::group);
  if (!leaving) {
    auto reloaded = reload(room_id, actor);
    if (!reloaded) return tl::unexpected(reloaded.error());
    change.room = std::move(*reloaded);
  }
  return change;
}

Result<RoomChange> RoomRepository::sync_booking(std::int64_t booking_id, const std::optional<std::string>& name,
                                                const std::vector<NewMember>& participants, bool cancelled) {
  // The upsert also locks the row, so concurrent events of one booking apply one after another.
  pqxx::row room = tx_.exec_params1(
      "INSERT INTO chat_rooms (id, type, booking_id, name) VALUES ($1, 'BOOKING', $2, NULLIF($3, '')) "
      "ON CONFLICT (booking_id) DO UPDATE SET name = COALESCE(EXCLUDED.name, chat_rooms.name) "
      "RETURNING id::text, (xmax = 0), closed_at IS NOT NULL",
      new_uuid(), booking_id, name.value_or(""));
  RoomChange change;
  const std::string room_id = room[0].as<std::string>();
  change.created = room[1].as<bool>();
  const bool closed = room[2].as<bool>();

  if (!cancelled) {
    std::vector<NewMember> wanted = distinct_others(participants, -1);
    pqxx::result current = tx_.exec_params(
        "SELECT user_id, user_name FROM chat_room_members WHERE room_id = $1 AND left_at IS NULL", room_id);
    std::set<std::int64_t> wanted_ids;
    for (const NewMember& p : wanted) wanted_ids.insert(p.user_id);
    for (const auto& row : current) {
      if (wanted_ids.count(row[0].as<std::int64_t>()) != 0) continue;
      tx_.exec_params("UPDATE chat_room_members SET left_at = now() WHERE room_id = $1 AND user_id = $2 AND left_at IS NULL",
                      room_id, row[0].as<std::int64_t>());
      change.system_messages.push_back(insert_system_message(tx_, room_id, row[1].as<std::string>() + " left"));
    }
    std::vector<NewMember> added = insert_members(room_id, wanted, std::nullopt);
    for (const NewMember& m : added) {
      change.system_messages.push_back(insert_system_message(tx_, room_id, m.user_name + " joined"));
    }
  } else if (!closed) {
    tx_.exec_params("UPDATE chat_rooms SET closed_at = now() WHERE id = $1", room_id);
    change.system_messages.push_back(
        insert_system_message(tx_, room_id, "The booking was cancelled; this chat is now read-only"));
  }
  change.room.id = room_id;
  change.room.type = RoomType::booking;
  change.room.booking_id = booking_id;
  change.room.read_only = cancelled || closed;
  return change;
}

Result<std::map<std::string, std::vector<std::int64_t>>> RoomRepository::active_members(
    const std::vector<std::string>& room_ids) {
  std::map<std::string, std::vector<std::int64_t>> out;
  if (room_ids.empty()) return out;
  pqxx::result rows = tx_.exec_params(
      "SELECT room_id::text, user_id FROM chat_room_members WHERE room_id = ANY($1::uuid[]) AND left_at IS NULL",
      uuid_array(room_ids));
  for (const auto& row : rows) out[row[0].as<std::string>()].push_back(row[1].as<std::int64_t>());
  return out;
}

}  // namespace parkchat::store
