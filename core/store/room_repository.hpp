#pragma once
// Rooms and their membership in PostgreSQL: creating DIRECT, GROUP and BOOKING rooms, reading
// them as a member sees them, and membership changes with their SYSTEM messages. Works inside
// a transaction it is given; one instance per transaction, on the thread that owns it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "core/base/error.hpp"
#include "core/chat/room.hpp"

namespace parkchat::store {

struct NewMember {
  std::int64_t user_id = 0;
  std::string user_name;
};

// A room after a change, and the SYSTEM messages the change wrote (to publish after commit).
struct RoomChange {
  chat::Room room;
  bool created = false;
  std::vector<chat::Message> system_messages;
};

struct CreateRoom {
  chat::RoomType type = chat::RoomType::group;
  std::optional<std::string> name;
  NewMember creator;
  std::vector<NewMember> others;
  std::optional<std::int64_t> booking_id;
};

class RoomRepository {
 public:
  // `tx` must outlive the repository.
  explicit RoomRepository(pqxx::work& tx) : tx_(tx) {}

  // DIRECT: the pair's existing room, or a new one (concurrent creates give one room).
  // GROUP: a new room, the creator its admin. BOOKING: the booking's room, created once.
  Result<RoomChange> create(const CreateRoom& request);
  // The room as `user` sees it; NOT_FOUND unless `user` is an active member.
  Result<chat::Room> get(const std::string& room_id, std::int64_t user);
  // The rooms of `user`, newest activity first, in a constant number of queries.
  Result<std::vector<chat::Room>> list(std::int64_t user);
  // GROUP admins add members.
  Result<RoomChange> add_members(const std::string& room_id, std::int64_t actor, const std::vector<NewMember>& users);
  // `actor` leaves (target == actor) or, as a GROUP admin, removes `target`. When the last admin
  // goes, the longest-standing member becomes admin.
  Result<RoomChange> remove_member(const std::string& room_id, std::int64_t actor, std::int64_t target);
  // Keeps a BOOKING room equal to the booking: created once, members = participants, closed
  // (read-only) when cancelled.
  Result<RoomChange> sync_booking(std::int64_t booking_id, const std::optional<std::string>& name,
                                  const std::vector<NewMember>& participants, bool cancelled);
  // Active members of each room.
  Result<std::map<std::string, std::vector<std::int64_t>>> active_members(const std::vector<std::string>& room_ids);

 private:
  std::vector<chat::Room> load(std::int64_t user, const std::optional<std::string>& only_room);
  std::vector<NewMember> insert_members(const std::string& room_id, const std::vector<NewMember>& users,
                                        std::optional<std::int64_t> admin);
  Result<chat::Room> reload(const std::string& room_id, std::int64_t user);

  pqxx::work& tx_;
};

}  // namespace parkchat::store
