#include "daemon/api/rest_charges.hpp"

#include <gtest/gtest.h>

namespace parkchat::api {
namespace {

auth::Identity user(std::int64_t id) { return auth::Identity{id, "u", false}; }

ServiceCall create_room(std::vector<std::int64_t> participants) {
  return ServiceCall{"POST /rooms", "chat.rooms.create", {{"participant_ids", participants}}, 201};
}

TEST(RestCharges, ASendDrawsOnTheSendBudgetThatTheSocketUses) {
  limits::BudgetRates rates;
  rates.sends = {1, 2};
  limits::UserBudgets budgets(rates);
  const ServiceCall send{"POST /rooms/:id/messages", "chat.messages.save", nlohmann::json::object(), 201};
  ASSERT_TRUE(charge(budgets, send, user(1)));
  ASSERT_TRUE(budgets.take(limits::Budget::sends, 1) == std::nullopt) << "the socket's send";
  auto refused = charge(budgets, send, user(1));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().error.code, Errc::rate_limited);
  EXPECT_GT(refused.error().retry_after.count(), 0);
}

TEST(RestCharges, RoomsAddingAUserAreCountedOnThatUserAndGivenBackWhenNobodyWasAdded) {
  limits::BudgetRates rates;
  rates.rooms_adding = {1.0 / 3600, 2};
  limits::UserBudgets budgets(rates);
  auto first = charge(budgets, create_room({7, 1}), user(1));  // the caller is not added
  ASSERT_TRUE(first);
  EXPECT_EQ(first->added_users.size(), 1u);
  settle(budgets, *first, false);  // a DIRECT room that existed
  ASSERT_TRUE(charge(budgets, create_room({7}), user(2)));
  ASSERT_TRUE(charge(budgets, create_room({7}), user(3)));
  auto third = charge(budgets, create_room({8, 7}), user(4));
  ASSERT_FALSE(third);
  EXPECT_NE(third.error().error.message.find("7"), std::string::npos) << third.error().error.message;
  // The refused call gave back what it took for user 8.
  ASSERT_TRUE(charge(budgets, create_room({8}), user(5)));
  ASSERT_TRUE(charge(budgets, create_room({8}), user(5)));
}

TEST(RestCharges, AServiceTokenIsNotCounted) {
  limits::BudgetRates rates;
  rates.requests = {1, 1};
  limits::UserBudgets budgets(rates);
  const auth::Identity service{0, "booking system", true};
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(charge(budgets, create_room({7}), service));
}

}  // namespace
}  // namespace parkchat::api
