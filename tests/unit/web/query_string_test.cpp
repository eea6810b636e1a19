#include "daemon/web/query_string.hpp"

#include <gtest/gtest.h>

namespace parkchat::web {
namespace {

TEST(QueryString, DecodesPairs) {
  auto q = parse_query("EIO=4&transport=polling&t=abc&token=a%2Eb%20c+d");
  EXPECT_EQ(q["EIO"], "4");
  EXPECT_EQ(q["transport"], "polling");
  EXPECT_EQ(q["token"], "a.b c d");
}

TEST(QueryString, KeepsMalformedEscapesAndEmptyValues) {
  auto q = parse_query("a=%zz&b&&c=%4");
  EXPECT_EQ(q["a"], "%zz");
  EXPECT_EQ(q["b"], "");
  EXPECT_EQ(q["c"], "%4");
  EXPECT_TRUE(parse_query("").empty());
}

}  // namespace
}  // namespace parkchat::web
