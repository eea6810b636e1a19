#include "core/sim/histogram.hpp"

#include <gtest/gtest.h>

namespace parkchat::sim {
namespace {

TEST(Histogram, EmptyIsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(99), 0);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (int v = 1; v <= 50; ++v) h.record(v);
  EXPECT_EQ(h.percentile(50), 25);
  EXPECT_EQ(h.percentile(100), 50);
  EXPECT_EQ(h.max(), 50);
}

TEST(Histogram, LargeValuesWithinTwoPercent) {
  Histogram h;
  for (std::int64_t v = 1; v <= 100000; ++v) h.record(v * 10);  // 10 µs .. 1 s, uniform
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const double exact = p / 100.0 * 1'000'000;
    EXPECT_NEAR(static_cast<double>(h.percentile(p)), exact, exact * 0.02) << "p" << p;
  }
  EXPECT_EQ(h.max(), 1'000'000);
  EXPECT_EQ(h.percentile(100), 1'000'000);
}

TEST(Histogram, MergeAddsCounts) {
  Histogram a;
  Histogram b;
  for (int i = 0; i < 99; ++i) a.record(100);
  b.record(5'000'000);
  a.merge(b);
  EXPECT_EQ(a.count(), 100u);
  EXPECT_LE(a.percentile(99), 101);
  EXPECT_EQ(a.max(), 5'000'000);
  EXPECT_NEAR(static_cast<double>(a.percentile(100)), 5e6, 5e6 * 0.02);
}

TEST(Histogram, NegativeCountsAsZero) {
  Histogram h;
  h.record(-5);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.count(), 1u);
}

}  // namespace
}  // namespace parkchat::sim
