#pragma once
// What one user may repeat, counted per process (CONTRACT §3: RATE_LIMITED is a caller's own
// limit, with a retry hint): message sends (socket and REST draw on one budget), REST
// requests, history reads, room creations, and the rooms that may add a given user. The
// gateway and the REST API of a process share one UserBudgets, from any thread. Service tokens
// are not counted: callers do not ask for them.

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "daemon/limits/token_bucket.hpp"

namespace parkchat::limits {

enum class Budget { sends, requests, reads, room_creations, rooms_adding, count };

// `rate` tokens a second, at most `burst` saved up.
struct Allowance {
  double rate;
  double burst;
};

// The defaults: past what a person does, far below what a script can.
struct BudgetRates {
  Allowance sends{20, 40};                   // send_message and POST .../messages
  Allowance requests{50, 500};               // every REST request
  Allowance reads{10, 400};                  // GET .../messages: a client refilling 200 rooms
  Allowance room_creations{10.0 / 60, 30};   // POST /rooms
  Allowance rooms_adding{60.0 / 3600, 60};   // new rooms and member additions naming a user
};

class UserBudgets {
 public:
  using Clock = TokenBucket::Clock;

  explicit UserBudgets(BudgetRates rates = {}) : rates_(rates) {}

  // Takes one token of `user`'s `budget`: nullopt when there was one, else how long until there
  // is one again.
  std::optional<std::chrono::milliseconds> take(Budget budget, std::int64_t user, Clock::time_point now = Clock::now());
  // Returns a token taken for something that did not happen (a DIRECT room that existed).
  void give_back(Budget budget, std::int64_t user);

  const BudgetRates& rates() const { return rates_; }

 private:
  const Allowance& allowance(Budget budget) const;

  // Users are spread over stripes, so that threads seldom wait for each other. A stripe
  // forgets buckets that have filled up again once it has grown, so memory follows the users
  // active lately.
  struct Stripe {
    std::mutex mutex;
    std::array<std::unordered_map<std::int64_t, TokenBucket>, static_cast<std::size_t>(Budget::count)> buckets;
    std::size_t sweep_at = 1024;
  };
  static constexpr std::size_t kStripes = 16;

  BudgetRates rates_;
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace parkchat::limits
