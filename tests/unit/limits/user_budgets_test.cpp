#include "daemon/limits/user_budgets.hpp"

#include <gtest/gtest.h>

namespace parkchat::limits {
namespace {

using namespace std::chrono_literals;

TEST(UserBudgets, EachUserHasABudgetOfEachKind) {
  BudgetRates rates;
  rates.sends = {20, 40};
  UserBudgets budgets(rates);
  const auto now = UserBudgets::Clock::time_point{} + 1h;
  for (int i = 0; i < 40; ++i) ASSERT_FALSE(budgets.take(Budget::sends, 1, now)) << i;
  auto wait = budgets.take(Budget::sends, 1, now);
  ASSERT_TRUE(wait);
  EXPECT_GT(wait->count(), 0);
  EXPECT_LE(wait->count(), 51);  // one token every 50 ms
  EXPECT_FALSE(budgets.take(Budget::sends, 2, now)) << "another user's budget is untouched";
  EXPECT_FALSE(budgets.take(Budget::reads, 1, now)) << "another kind of budget is untouched";
  EXPECT_FALSE(budgets.take(Budget::sends, 1, now + 50ms)) << "refilled at the rate";
}

TEST(UserBudgets, AGivenBackTokenCanBeTakenAgain) {
  BudgetRates rates;
  rates.rooms_adding = {1.0 / 3600, 2};
  UserBudgets budgets(rates);
  const auto now = UserBudgets::Clock::time_point{} + 1h;
  EXPECT_FALSE(budgets.take(Budget::rooms_adding, 9, now));
  EXPECT_FALSE(budgets.take(Budget::rooms_adding, 9, now));
  EXPECT_TRUE(budgets.take(Budget::rooms_adding, 9, now));
  budgets.give_back(Budget::rooms_adding, 9);
  EXPECT_FALSE(budgets.take(Budget::rooms_adding, 9, now));
  EXPECT_TRUE(budgets.take(Budget::rooms_adding, 9, now));
}

TEST(UserBudgets, IdleUsersAreForgottenWithoutLosingActiveOnes) {
  BudgetRates rates;
  rates.reads = {1, 2};
  UserBudgets budgets(rates);
  const auto start = UserBudgets::Clock::time_point{} + 1h;
  // A busy user, then many users once each, long after: the busy user is still limited
  // while its bucket is not full again, whatever was swept.
  EXPECT_FALSE(budgets.take(Budget::reads, 0, start));
  EXPECT_FALSE(budgets.take(Budget::reads, 0, start));
  for (std::int64_t user = 1; user < 100'000; ++user) ASSERT_FALSE(budgets.take(Budget::reads, user, start + 1h));
  const auto later = start + 1h;
  EXPECT_FALSE(budgets.take(Budget::reads, 0, later));
  EXPECT_FALSE(budgets.take(Budget::reads, 0, later));
  EXPECT_TRUE(budgets.take(Budget::reads, 0, later));
}

}  // namespace
}  // namespace parkchat::limits
