#include "core/obs/log.hpp"

#include <gtest/gtest.h>

namespace parkchat::obs {
namespace {

TEST(LogTest, ParsesLevelsAndFormats) {
  spdlog::level::level_enum level;
  ASSERT_TRUE(parse_log_level("debug", level));
  EXPECT_EQ(level, spdlog::level::debug);
  ASSERT_TRUE(parse_log_level("warn", level));
  EXPECT_EQ(level, spdlog::level::warn);
  ASSERT_TRUE(parse_log_level("error", level));
  EXPECT_EQ(level, spdlog::level::err);
  EXPECT_FALSE(parse_log_level("loud", level));
  LogFormat format;
  ASSERT_TRUE(parse_log_format("json", format));
  EXPECT_EQ(format, LogFormat::json);
  EXPECT_FALSE(parse_log_format("xml", format));
}

TEST(LogTest, DomainLoggersAreSharedByName) {
  EXPECT_EQ(logger("store"), logger("store"));
  EXPECT_NE(logger("store"), logger("gateway"));
}

}  // namespace
}  // namespace parkchat::obs
