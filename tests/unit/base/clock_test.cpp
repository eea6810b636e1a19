#include "core/base/clock.hpp"

#include <gtest/gtest.h>

namespace parkchat {
namespace {

TEST(ClockTest, FormatsMicrosecondsInUtc) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(format_iso8601(1732496523123456), "2024-11-25T01:02:03.123456Z");
}

TEST(ClockTest, ParsesWhatItFormatsAndCommonVariants) {
  EXPECT_EQ(parse_iso8601("2024-11-25T01:02:03.123456Z"), 1732496523123456);
  EXPECT_EQ(parse_iso8601("2024-11-25T01:02:03.123Z"), 1732496523123000);
  EXPECT_EQ(parse_iso8601("2024-11-25T01:02:03Z"), 1732496523000000);
  EXPECT_EQ(parse_iso8601("2024-11-25T10:02:03.5+09:00"), 1732496523500000);
  const Micros now = now_micros();
  EXPECT_EQ(parse_iso8601(format_iso8601(now)), now);
}

TEST(ClockTest, RefusesMalformedTimestamps) {
  for (const char* bad : {"", "2024-11-25", "2024-11-25T01:02:03", "2024-13-25T01:02:03Z", "2024-11-25T01:02:03.Z",
                          "2024-11-25T01:02:03Zjunk", "yesterday"}) {
    EXPECT_FALSE(parse_iso8601(bad)) << bad;
  }
}

}  // namespace
}  // namespace parkchat
