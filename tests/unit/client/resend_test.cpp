#include "core/client/resend.hpp"

#include <gtest/gtest.h>

namespace parkchat::client {
namespace {

using namespace std::chrono_literals;

TEST(ResendPath, TheSocketWithinTheWindowRestPastIt) {
  EXPECT_EQ(resend_path(1s), ResendPath::socket);
  EXPECT_EQ(resend_path(119s), ResendPath::socket);
  EXPECT_EQ(resend_path(120s), ResendPath::rest);
  EXPECT_EQ(resend_path(3s, 2s), ResendPath::rest);
  EXPECT_EQ(resend_path(std::chrono::steady_clock::duration::max()), ResendPath::rest);
}

}  // namespace
}  // namespace parkchat::client
