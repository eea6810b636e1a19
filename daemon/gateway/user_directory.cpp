#include "daemon/gateway/user_directory.hpp"

#include <algorithm>

namespace parkchat::gateway {

UserDirectory::UserDirectory(std::size_t max_sockets_per_user, std::function<void(std::int64_t, const char*)> presence)
    : max_sockets_per_user_(max_sockets_per_user), presence_(std::move(presence)) {}

std::optional<SocketRef> UserDirectory::add(std::int64_t user_id, SocketRef socket) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& sockets = sockets_[user_id];
  sockets.push_back(std::move(socket));
  if (sockets.size() == 1 && presence_) presence_(user_id, "online");
  if (sockets.size() <= max_sockets_per_user_) return std::nullopt;
  SocketRef oldest = std::move(sockets.front());
  sockets.erase(sockets.begin());
  return oldest;
}

std::vector<SocketRef> UserDirectory::sockets_of(std::int64_t user_id) const {
  std::lock_guard lock(mutex_);
  auto it = sockets_.find(user_id);
  return it == sockets_.end() ? std::vector<SocketRef>{} : it->second;
}

void UserDirectory::remove(std::int64_t user_id, const std::string& socket_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = sockets_.find(user_id);
  if (it == sockets_.end()) return;
  auto& sockets = it->second;
  auto found = std::find_if(sockets.begin(), sockets.end(), [&](const SocketRef& s) { return s.socket_id == socket_id; });
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
