// The command line as a user meets it: --version, --help with examples, usage errors, and the
// subcommands that are not built yet.

#include <gtest/gtest.h>

#include "core/base/version.hpp"
#include "tests/support/run_parkchat.hpp"

namespace parkchat::testing {
namespace {

TEST(CliTest, VersionPrintsTheVersion) {
  auto r = run_parkchat({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find(std::string(kVersion)), std::string::npos) << r.out;
}

TEST(CliTest, EverySubcommandHasHelpWithAnExample) {
  for (const char* command : {"serve", "migrate", "send", "tail", "stats", "simulate", "token"}) {
    auto r = run_parkchat({command, "--help"});
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << command << ":\n" << r.out;
    EXPECT_NE(r.out.find(std::string("parkchat ") + command), std::string::npos) << command << ":\n" << r.out;
  }
  for (const char* action : {"up", "down", "status", "redo", "create"}) {
    auto r = run_parkchat({"migrate", action, "--help"});
    EXPECT_EQ(r.exit_code, 0) << action;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << action << ":\n" << r.out;
  }
}

TEST(CliTest, UnbuiltSubcommandsSaySoAndExitOne) {
  for (const char* command : {"send", "tail", "stats", "simulate", "token"}) {
    auto r = run_parkchat({command});
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_NE(r.err.find("not built yet"), std::string::npos) << command << ": " << r.err;
  }
}

TEST(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(run_parkchat({}).exit_code, 2);
  EXPECT_EQ(run_parkchat({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run_parkchat({"migrate", "up", "--no-such-flag"}).exit_code, 2);
  auto bad_format = run_parkchat({"migrate", "status", "--log-format", "xml"});
  EXPECT_EQ(bad_format.exit_code, 2);
  EXPECT_NE(bad_format.err.find("--log-format=xml"), std::string::npos) << bad_format.err;
  auto bad_roles = run_parkchat({"serve", "--roles", "gateway,mailer", "--nats-url", "nats://127.0.0.1:1",
                                 "--database-url", "postgresql://127.0.0.1:1/x"});
  EXPECT_EQ(bad_roles.exit_code, 2);
  EXPECT_NE(bad_roles.err.find("mailer"), std::string::npos) << bad_roles.err;
}

}  // namespace
}  // namespace parkchat::testing
