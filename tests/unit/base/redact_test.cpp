#include "core/base/redact.hpp"

#include <gtest/gtest.h>

namespace parkchat {
namespace {

TEST(RedactCredentials, HidesThePasswordOfAnyUrl) {
  EXPECT_EQ(redact_credentials("nats://user:pass@10.0.0.5:4222"), "nats://user:***@10.0.0.5:4222");
  EXPECT_EQ(redact_credentials("postgresql://chat:s3cret@db:5432/chat?sslmode=require"),
            "postgresql://chat:***@db:5432/chat?sslmode=require");
  EXPECT_EQ(redact_credentials("tls://a:b@h"), "tls://a:***@h");
  EXPECT_EQ(redact_credentials("cannot connect to NATS at nats://u:p%40ss@h:4222: timeout"),
            "cannot connect to NATS at nats://u:***@h:4222: timeout");
}

TEST(RedactCredentials, HidesEachUrlOfAListAndTokens) {
  EXPECT_EQ(redact_credentials("nats://a:1@h1:4222,nats://b:2@h2:4222, nats://h3:4222"),
            "nats://a:***@h1:4222,nats://b:***@h2:4222, nats://h3:4222");
  EXPECT_EQ(redact_credentials("nats://s3cr3ttoken@h:4222"), "nats://***@h:4222");
}

TEST(RedactCredentials, HidesPasswordValuesOfLibpqStringsAndQueries) {
  EXPECT_EQ(redact_credentials("host=db user=chat password=s3cret dbname=chat"),
            "host=db user=chat password=*** dbname=chat");
  EXPECT_EQ(redact_credentials("host=db password = 'it\\'s a secret' dbname=chat"), "host=db password = *** dbname=chat");
  EXPECT_EQ(redact_credentials("postgresql://db/chat?user=chat&password=s3cret&sslmode=disable"),
            "postgresql://db/chat?user=chat&password=***&sslmode=disable");
  EXPECT_EQ(redact_credentials("PASSWORD=x"), "PASSWORD=***");
}

TEST(RedactCredentials, LeavesTextWithoutCredentialsAlone) {
  for (const char* text : {"nats://127.0.0.1:4222", "http://example.com/a@b", "old_password=kept", "no secrets here",
                           "mailto kim@example.com", ""}) {
    EXPECT_EQ(redact_credentials(text), text);
  }
}

}  // namespace
}  // namespace parkchat
