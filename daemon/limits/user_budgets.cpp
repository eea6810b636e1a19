#include "daemon/limits/user_budgets.hpp"

namespace parkchat::limits {

const Allowance& UserBudgets::allowance(Budget budget) const {
  switch (budget) {
    case Budget::sends: return rates_.sends;
    case Budget::requests: return rates_.requests;
    case Budget::reads: return rates_.reads;
    case Budget::room_creations: return rates_.room_creations;
    case Budget::rooms_adding:
    case Budget::count: break;
  }
  return rates_.rooms_adding;
}

std::optional<std::chrono::milliseconds> UserBudgets::take(Budget budget, std::int64_t user, Clock::time_point now) {
  Stripe& stripe = stripes_[static_cast<std::uint64_t>(user) % kStripes];
  std::lock_guard<std::mutex> lock(stripe.mutex);
  auto& buckets = stripe.buckets[static_cast<std::size_t>(budget)];
  if (buckets.size() >= stripe.sweep_at) {
    for (auto it = buckets.begin(); it != buckets.end();) it = it->second.full(now) ? buckets.erase(it) : std::next(it);
    stripe.sweep_at = std::max<std::size_t>(1024, 2 * buckets.size());
  }
  const Allowance& a = allowance(budget);
  auto it = buckets.try_emplace(user, a.rate, a.burst, now).first;
  if (it->second.take(now)) return std::nullopt;
  return it->second.retry_after();
}

void UserBudgets::give_back(Budget budget, std::int64_t user) {
  Stripe& stripe = stripes_[static_cast<std::uint64_t>(user) % kStripes];
  std::lock_guard<std::mutex> lock(stripe.mutex);
  auto& buckets = stripe.buckets[static_cast<std::size_t>(budget)];
  if (auto it = buckets.find(user); it != buckets.end()) it->second.give_back();
}

}  // namespace parkchat::limits
