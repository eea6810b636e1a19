#include "daemon/roles.hpp"

#include <gtest/gtest.h>

namespace parkchat::daemon {
namespace {

TEST(RolesTest, ParsesAnySubsetInAnyOrder) {
  auto all = parse_roles("gateway,api,service,notify");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 4u);
  auto some = parse_roles(" service , gateway");
  ASSERT_TRUE(some);
  EXPECT_EQ(*some, (std::set<Role>{Role::service, Role::gateway}));
}

TEST(RolesTest, RefusesUnknownAndEmpty) {
  auto unknown = parse_roles("gateway,mailer");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("mailer"), std::string::npos);
  EXPECT_FALSE(parse_roles(""));
  EXPECT_FALSE(parse_roles(",,"));
}

}  // namespace
}  // namespace parkchat::daemon
