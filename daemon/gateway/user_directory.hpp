#pragma once
// Who is online on this gateway process, across its shards: each user's sockets in the order
// they connected, so that presence (online with the first socket, offline with the last) and
// the cap on one user's sockets hold for the process, wherever the kernel put each connection.
// It also knows which rooms each socket has joined (as 64-bit hashes of their ids), so that a
// notification for sockets that all have the room open costs no shard a task. Touched on
// connect, disconnect, join and leave, under one lock.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace parkchat::gateway {

struct SocketRef {
  std::size_t shard = 0;
  std::string socket_id;
};

class UserDirectory {
 public:
  // `presence(user, "online"|"offline")` runs under the lock, so that a user's announcements
  // keep their order when sockets come and go on several shards at once; it must not block.
  UserDirectory(std::size_t max_sockets_per_user, std::function<void(std::int64_t, const char*)> presence);

  // Records a new socket; when the user now has more than the cap, the oldest is taken out and
  // returned: its shard must close it.
  std::optional<SocketRef> add(std::int64_t user_id, SocketRef socket);
  // Forgets a socket (nothing when it was taken out already).
  void remove(std::int64_t user_id, const std::string& socket_id);
  std::size_t users() const;
  // Every user with a socket here, with `list_taken()` called under the lock, so that what
  // it stamps on the list is ordered with the presence announcements.
  std::vector<std::int64_t> online_users(const std::function<void()>& list_taken) const;
  // The user's sockets in this process, oldest first.
  std::vector<SocketRef> sockets_of(std::int64_t user_id) const;
  // A socket of the user entered or left a room.
  void entered(std::int64_t user_id, const std::string& socket_id, const std::string& room_id);
  void left(std::int64_t user_id, const std::string& socket_id, const std::string& room_id);
  // Appends to `out` the user's sockets that have not joined `room_id`.
  void sockets_outside(std::int64_t user_id, const std::string& room_id, std::vector<SocketRef>& out) const;
  std::size_t max_sockets_per_user() const { return max_sockets_per_user_; }

 private:
  const std::size_t max_sockets_per_user_;
  std::function<void(std::int64_t, const char*)> presence_;
  mutable std::mutex mutex_;
  struct Entry {
    SocketRef ref;
    std::vector<std::uint64_t> rooms;  // hashes of the ids of the rooms it joined
  };
  Entry* find(std::int64_t user_id, const std::string& socket_id);
  // Oldest first; a few per user (a deque would cost every online user 600 bytes).
  std::unordered_map<std::int64_t, std::vector<Entry>> sockets_;
};

}  // namespace parkchat::gateway
