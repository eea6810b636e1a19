#include "daemon/gateway/user_directory.hpp"

#include <algorithm>
#include <functional>

namespace parkchat::gateway {

UserDirectory::UserDirectory(std::size_t max_sockets_per_user, std::function<void(std::int64_t, const char*)> presence)
    : max_sockets_per_user_(max_sockets_per_user), presence_(std::move(presence)) {}

namespace {

std::uint64_t room_hash(const std::string& room_id) { return std::hash<std::string>{}(room_id); }

}  // namespace

std::optional<SocketRef> UserDirectory::add(std::int64_t user_id, SocketRef socket) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& sockets = sockets_[user_id];
  sockets.push_back({std::move(socket), {}});
  if (sockets.size() == 1 && presence_) presence_(user_id, "online");
  if (sockets.size() <= max_sockets_per_user_) return std::nullopt;
  SocketRef oldest = std::move(sockets.front().ref);
  sockets.erase(sockets.begin());
  return oldest;
}

std::vector<SocketRef> UserDirectory::sockets_of(std::int64_t user_id) const {
  std::lock_guard lock(mutex_);
  std::vector<SocketRef> out;
  auto it = sockets_.find(user_id);
  if (it != sockets_.end()) {
    for (const Entry& entry : it->second) out.push_back(entry.ref);
  }
  return out;
}

UserDirectory::Entry* UserDirectory::find(std::int64_t user_id, const std::string& socket_id) {
  auto it = sockets_.find(user_id);
  if (it == sockets_.end()) return nullptr;
  for (Entry& entry : it->second) {
    if (entry.ref.socket_id == socket_id) return &entry;
  }
  return nullptr;
}

void UserDirectory::entered(std::int64_t user_id, const std::string& socket_id, const std::string& room_id) {
  std::lock_guard lock(mutex_);
  if (Entry* entry = find(user_id, socket_id)) entry->rooms.push_back(room_hash(room_id));
}

void UserDirectory::left(std::int64_t user_id, const std::string& socket_id, const std::string& room_id) {
  std::lock_guard lock(mutex_);
  Entry* entry = find(user_id, socket_id);
  if (entry == nullptr) return;
  auto it = std::find(entry->rooms.begin(), entry->rooms.end(), room_hash(room_id));
  if (it != entry->rooms.end()) entry->rooms.erase(it);
}

void UserDirectory::sockets_outside(std::int64_t user_id, const std::string& room_id, std::vector<SocketRef>& out) const {
  const std::uint64_t room = room_hash(room_id);
  std::lock_guard lock(mutex_);
  auto it = sockets_.find(user_id);
  if (it == sockets_.end()) return;
  for (const Entry& entry : it->second) {
    if (std::find(entry.rooms.begin(), entry.rooms.end(), room) == entry.rooms.end()) out.push_back(entry.ref);
  }
}

void UserDirectory::remove(std::int64_t user_id, const std::string& socket_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = sockets_.find(user_id);
  if (it == sockets_.end()) return;
  auto& sockets = it->second;
  auto found = std::find_if(sockets.begin(), sockets.end(), [&](const Entry& e) { return e.ref.socket_id == socket_id; });
  if (found == sockets.end()) return;
  sockets.erase(found);
  if (!sockets.empty()) return;
  sockets_.erase(it);
  if (presence_) presence_(user_id, "offline");
}

std::vector<std::int64_t> UserDirectory::online_users(const std::function<void()>& list_taken) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::int64_t> users;
  users.reserve(sockets_.size());
  for (const auto& entry : sockets_) users.push_back(entry.first);
  list_taken();
  return users;
}

std::size_t UserDirectory::users() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sockets_.size();
}

}  // namespace parkchat::gateway
