#pragma once
// The last N ids seen, to deliver each message id at most once however often it is published.
// Pure; bounded memory: the oldest id is forgotten when a new one comes.

#include <cstddef>
#include <string>
#include <unordered_set>
#include <vector>

namespace parkchat {

class RecentIds {
 public:
  explicit RecentIds(std::size_t capacity) : capacity_(capacity) {}

  // True when `id` is new (and is now remembered); false when it was seen.
  bool insert(const std::string& id) {
    if (seen_.count(id) != 0) return false;
    if (order_.size() < capacity_) {
      order_.push_back(id);
    } else {
      seen_.erase(order_[next_]);
      order_[next_] = id;
      next_ = (next_ + 1) % capacity_;
    }
    seen_.insert(id);
    return true;
  }
  bool contains(const std::string& id) const { return seen_.count(id) != 0; }

 private:
  std::size_t capacity_;
  std::vector<std::string> order_;  // a ring once full; next_ is the oldest
  std::size_t next_ = 0;
  std::unordered_set<std::string> seen_;
};

}  // namespace parkchat
