// The command line as a user meets it: --version, --help with examples, usage errors, and the
// subcommands that are not built yet.

#include <gtest/gtest.h>

#include "core/auth/token.hpp"
#include "core/base/version.hpp"
#include "tests/support/test_stack.hpp"
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

TEST(CliTest, ClientCommandsWithoutTheirArgumentsAreUsageErrors) {
  for (const char* command : {"send", "tail", "simulate"}) {
    auto r = run_parkchat({command});
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_NE(r.err.find("required"), std::string::npos) << command << ": " << r.err;
  }
}

TEST(CliTest, TokenMintsAVerifiableTokenWithTheConfiguredSecret) {
  auto minted = run_parkchat({"token", "--user", "4", "--name", "Kim", "--ttl", "1h"}, {"PARKCHAT_JWT_SECRET=s3cret"});
  ASSERT_EQ(minted.exit_code, 0) << minted.err;
  std::string token = minted.out.substr(0, minted.out.find('\n'));
  auto identity = auth::verify_token(token, "s3cret");
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->user_id, 4);
  EXPECT_EQ(identity->name, "Kim");
  EXPECT_FALSE(auth::verify_token(token, "another"));

  ScratchDir empty;
  auto no_secret = run_parkchat({"token", "--user", "4", "--data-dir", empty.path().string()});
  EXPECT_EQ(no_secret.exit_code, 1);
  EXPECT_NE(no_secret.err.find("jwt-secret"), std::string::npos) << no_secret.err;
  EXPECT_EQ(run_parkchat({"token", "--user", "4", "--ttl", "soon"}, {"PARKCHAT_JWT_SECRET=x"}).exit_code, 2);
  EXPECT_EQ(run_parkchat({"token"}, {"PARKCHAT_JWT_SECRET=x"}).exit_code, 2);
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
  auto bad_listen = run_parkchat({"serve", "--listen", "localhost", "--nats-url", "nats://127.0.0.1:1",
                                  "--database-url", "postgresql://127.0.0.1:1/x"});
  EXPECT_EQ(bad_listen.exit_code, 2);
  EXPECT_NE(bad_listen.err.find("localhost"), std::string::npos) << bad_listen.err;
  auto room_and_all = run_parkchat({"tail", "3f2b6c1e-0000-4000-8000-000000000001", "--all"});
  EXPECT_EQ(room_and_all.exit_code, 2);
  EXPECT_NE(room_and_all.err.find("excludes"), std::string::npos) << room_and_all.err;
}

}  // namespace
}  // namespace parkchat::testing
