#include "daemon/gateway/commit_watch.hpp"

#include <future>

#include <gtest/gtest.h>

#include "core/chat/commit_notice.hpp"

namespace parkchat::gateway {
namespace {

using namespace std::chrono_literals;

const std::string kA = "6f1c7c2e-8a51-4c1e-9a7e-0d3b2f5a9c10";
const std::string kB = "0b7e6a52-3f3a-4f0e-8e4b-8d1f3c2a7b61";

// A waiter's verdict, once it comes.
struct Verdict {
  std::promise<bool> promise;
  std::future<bool> future = promise.get_future();
  CommitWatch::Done done() {
    return [this](bool committed) { promise.set_value(committed); };
  }
};

TEST(CommitWatch, AWaiterHearsOfItsCommitAndOnlyOfItsOwn) {
  CommitWatch watch(10s);
  Verdict a, b;
  watch.await(kA, a.done());
  watch.await(kB, b.done());
  EXPECT_EQ(watch.waiting(), 2u);
  watch.committed({kA});
  ASSERT_EQ(a.future.wait_for(0s), std::future_status::ready);
  EXPECT_TRUE(a.future.get());
  EXPECT_EQ(b.future.wait_for(0s), std::future_status::timeout);
  EXPECT_EQ(watch.waiting(), 1u);
}

// The persister's notice can overtake the stream's ack of the publish.
TEST(CommitWatch, ANoticeBeforeTheAwaitIsRemembered) {
  CommitWatch watch(10s);
  watch.committed({kA});
  Verdict a;
  watch.await(kA, a.done());
  ASSERT_EQ(a.future.wait_for(0s), std::future_status::ready);
  EXPECT_TRUE(a.future.get());
  EXPECT_EQ(watch.waiting(), 0u);
}

TEST(CommitWatch, AWaiterWithoutANoticeHearsFalseAfterThePatience) {
  CommitWatch watch(50ms);
  Verdict a;
  const auto began = std::chrono::steady_clock::now();
  watch.await(kA, a.done());
  ASSERT_EQ(a.future.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(a.future.get());
  EXPECT_GE(std::chrono::steady_clock::now() - began, 50ms);
  EXPECT_EQ(watch.waiting(), 0u);
  watch.committed({kA});  // too late for it: nothing to call
}

TEST(CommitWatch, TwoSendsOfOneIdBothHear) {
  CommitWatch watch(10s);
  Verdict first, again;
  watch.await(kA, first.done());
  watch.await(kA, again.done());
  watch.committed({kB, kA});
  EXPECT_TRUE(first.future.get());
  EXPECT_TRUE(again.future.get());
}

TEST(CommitWatch, OnlyTheOldestAreForgotten) {
  CommitWatch watch(10s, 2);
  watch.committed({kA});
  watch.committed({kB, "3d0b0c8e-5f0a-4a53-9f27-2b8e7f4c1d90"});
  Verdict a;
  watch.await(kA, a.done());
  EXPECT_EQ(a.future.wait_for(0s), std::future_status::timeout) << "forgotten: it waits for a notice or the patience";
}

TEST(CommitNotice, IdsRoundTripAndAnythingElseIsNone) {
  EXPECT_EQ(chat::ids_of(chat::commit_notice({kA, kB})), (std::vector<std::string>{kA, kB}));
  EXPECT_TRUE(chat::ids_of(std::string_view("not json")).empty());
  EXPECT_TRUE(chat::ids_of(std::string_view(R"({"ids": "x"})")).empty());
  EXPECT_EQ(chat::ids_of(std::string_view(R"({"ids": ["nope", 7, ")" + kA + R"("]})")), (std::vector<std::string>{kA}));
  EXPECT_EQ(chat::ids_of(std::string_view(R"({"stored": [")" + kB + R"("]})"), "stored"), (std::vector<std::string>{kB}));
}

}  // namespace
}  // namespace parkchat::gateway
