#include "daemon/limits/token_bucket.hpp"

#include <gtest/gtest.h>

namespace parkchat::limits {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, AllowsTheBurstThenTheRate) {
  const auto start = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(20, 40, start);
  int taken = 0;
  while (bucket.take(start)) ++taken;
  EXPECT_EQ(taken, 40);
  // 20 a second: one token every 50 ms.
  EXPECT_FALSE(bucket.take(start + 49ms));
  EXPECT_TRUE(bucket.take(start + 50ms));
  EXPECT_FALSE(bucket.take(start + 50ms));
  EXPECT_TRUE(bucket.take(start + 100ms));
}

TEST(TokenBucket, NeverHoldsMoreThanTheBurst) {
  const auto start = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(20, 40, start);
  int taken = 0;
  while (bucket.take(start + 1h)) ++taken;
  EXPECT_EQ(taken, 40);
}

TEST(TokenBucket, IgnoresAClockThatGoesBack) {
  const auto start = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(1, 1, start);
  EXPECT_TRUE(bucket.take(start));
  EXPECT_FALSE(bucket.take(start - 10s));
  EXPECT_TRUE(bucket.take(start + 1s));
}

}  // namespace
}  // namespace parkchat::limits
