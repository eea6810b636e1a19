#include "daemon/api/rest_charges.hpp"

#include <string>

namespace parkchat::api {
namespace {

using limits::Budget;

// The user ids a room creation or member addition names; what is not an id the service refuses.
std::vector<std::int64_t> added_users(const ServiceCall& call, std::int64_t caller) {
  std::vector<std::int64_t> users;
  for (const char* field : {"participant_ids", "participantIds", "user_ids", "userIds"}) {
    auto it = call.payload.find(field);
    if (it == call.payload.end() || !it->is_array()) continue;
    for (const auto& id : *it) {
      if (id.is_number_integer() && id.get<std::int64_t>() != caller) users.push_back(id.get<std::int64_t>());
    }
  }
  return users;
}

std::string what_ran_out(Budget budget) {
  switch (budget) {
    case Budget::sends: return "too many messages";
    case Budget::requests: return "too many requests";
    case Budget::reads: return "too many history reads";
    case Budget::room_creations: return "too many rooms created";
    case Budget::rooms_adding:
    case Budget::count: break;
  }
  return "too many new rooms";
}

}  // namespace

tl::expected<Charge, Refusal> charge(limits::UserBudgets& budgets, const ServiceCall& call, const auth::Identity& caller) {
  Charge charge;
  if (caller.service) return charge;
  auto refuse = [&](Budget budget, std::chrono::milliseconds retry, std::string detail) {
    settle(budgets, charge, false);
    return tl::unexpected(Refusal{{Errc::rate_limited, what_ran_out(budget) + detail + "; retry in " +
                                                           std::to_string(retry.count()) + " ms"},
                                  retry});
  };
  const auto now = limits::UserBudgets::Clock::now();
  if (auto wait = budgets.take(Budget::requests, caller.user_id, now)) return refuse(Budget::requests, *wait, "");
  std::optional<Budget> extra;
  if (call.route == "POST /rooms/:id/messages") extra = Budget::sends;
  if (call.route == "GET /rooms/:id/messages") extra = Budget::reads;
  if (call.route == "POST /rooms") extra = Budget::room_creations;
  if (extra) {
    if (auto wait = budgets.take(*extra, caller.user_id, now)) return refuse(*extra, *wait, "");
  }
  if (call.route == "POST /rooms" || call.route == "POST /rooms/:id/members") {
    for (std::int64_t user : added_users(call, caller.user_id)) {
      if (auto wait = budgets.take(Budget::rooms_adding, user, now)) {
        return refuse(Budget::rooms_adding, *wait, " have added user " + std::to_string(user) + " lately");
      }
      charge.added_users.emplace_back(Budget::rooms_adding, user);
    }
  }
  return charge;
}

void settle(limits::UserBudgets& budgets, const Charge& charge, bool added) {
  if (added) return;
  for (const auto& [budget, user] : charge.added_users) budgets.give_back(budget, user);
}

}  // namespace parkchat::api
