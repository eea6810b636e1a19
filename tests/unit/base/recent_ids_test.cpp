#include "core/base/recent_ids.hpp"

#include <gtest/gtest.h>

namespace parkchat {
namespace {

TEST(RecentIds, ReportsAnIdOnlyTheFirstTime) {
  RecentIds ids(4);
  EXPECT_TRUE(ids.insert("a"));
  EXPECT_FALSE(ids.insert("a"));
  EXPECT_TRUE(ids.insert("b"));
  EXPECT_TRUE(ids.contains("a"));
  EXPECT_FALSE(ids.contains("c"));
}

TEST(RecentIds, ForgetsTheOldestBeyondItsCapacity) {
  RecentIds ids(3);
  for (const char* id : {"a", "b", "c", "d"}) EXPECT_TRUE(ids.insert(id));
  EXPECT_FALSE(ids.contains("a"));
  EXPECT_TRUE(ids.contains("b"));
  EXPECT_TRUE(ids.contains("d"));
  EXPECT_TRUE(ids.insert("e"));  // forgets b
  EXPECT_FALSE(ids.contains("b"));
  EXPECT_FALSE(ids.insert("c"));
  EXPECT_TRUE(ids.insert("a"));  // forgotten, so new again
}

}  // namespace
}  // namespace parkchat
