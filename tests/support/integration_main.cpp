// main of every integration test binary: the real NATS and PostgreSQL come up once, before the
// first test, and go down after the last.

#include <signal.h>

#include <gtest/gtest.h>

#include "tests/support/test_stack.hpp"

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new parkchat::testing::TestStack);  // gtest owns it
  return RUN_ALL_TESTS();
}
