#include "core/base/error.hpp"

#include <gtest/gtest.h>

namespace parkchat {
namespace {

TEST(ErrorTest, EveryCodeHasItsContractNameAndStatus) {
  struct Case {
    Errc code;
    const char* name;
    int status;
  };
  const Case cases[] = {
      {Errc::unauthorized, "UNAUTHORIZED", 401}, {Errc::forbidden, "FORBIDDEN", 403},
      {Errc::not_found, "NOT_FOUND", 404},       {Errc::validation, "VALIDATION", 400},
      {Errc::conflict, "CONFLICT", 409},         {Errc::payload_too_large, "PAYLOAD_TOO_LARGE", 413},
      {Errc::rate_limited, "RATE_LIMITED", 429}, {Errc::unavailable, "UNAVAILABLE", 503},
      {Errc::internal, "INTERNAL", 500},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(code_name(c.code), c.name);
    EXPECT_EQ(http_status(c.code), c.status) << c.name;
  }
}

TEST(ErrorTest, FailMakesAnUnexpectedResult) {
  Result<int> r = fail(Errc::not_found, "room not found");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
  EXPECT_EQ(r.error().message, "room not found");
}

}  // namespace
}  // namespace parkchat
