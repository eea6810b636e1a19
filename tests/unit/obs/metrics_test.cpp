#include "core/obs/metrics.hpp"

#include <gtest/gtest.h>

namespace parkchat::obs {
namespace {

TEST(Metrics, RendersCountersHistogramsAndSeriesReadAtRender) {
  Registry registry;
  registry.counter("x_total", "xs", "reason=\"a\"").add(12345678);
  registry.histogram("size", "sizes", "", kSizeBuckets).observe(3);
  double gauge = 2;
  registry.read_at_render("g", "a gauge", "gauge", "connection=\"n\"", [&] { return gauge; });
  gauge = 5;
  const std::string text = registry.render();
  EXPECT_NE(text.find("x_total{reason=\"a\"} 12345678\n"), std::string::npos) << text;  // exact, not 1.23e+07
  EXPECT_NE(text.find("size_bucket{le=\"2\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("size_bucket{le=\"4\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("size_sum 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE g gauge\ng{connection=\"n\"} 5\n"), std::string::npos) << text;
  registry.forget_read_at_render();
  const std::string after = registry.render();
  EXPECT_EQ(after.find("# TYPE g"), std::string::npos) << after;
  EXPECT_NE(after.find("x_total"), std::string::npos);
}

}  // namespace
}  // namespace parkchat::obs
