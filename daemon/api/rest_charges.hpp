#pragma once
// What a REST call costs its caller (limits::UserBudgets): one request each; a message send
// (from the budget it shares with the socket), a history read or a room creation besides; and
// for a new room or a member addition, one of each added user's "rooms adding me" budget.

#include <chrono>
#include <cstdint>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "core/auth/token.hpp"
#include "core/base/error.hpp"
#include "daemon/api/rest_routes.hpp"
#include "daemon/limits/user_budgets.hpp"

namespace parkchat::api {

struct Charge {
  std::vector<std::pair<limits::Budget, std::int64_t>> added_users;  // given back if nobody was added
};

// An empty budget: RATE_LIMITED, and when to retry.
struct Refusal {
  Error error;
  std::chrono::milliseconds retry_after{0};
};

// Takes what `call` costs `caller` (nothing for a service token). On an empty budget, gives back
// what it took for this call and answers why.
tl::expected<Charge, Refusal> charge(limits::UserBudgets& budgets, const ServiceCall& call, const auth::Identity& caller);

// After the service's answer: a call that added nobody (refused, or a DIRECT room that existed)
// returns the added users' tokens.
void settle(limits::UserBudgets& budgets, const Charge& charge, bool added);

}  // namespace parkchat::api
