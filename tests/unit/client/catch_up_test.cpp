#include "core/client/catch_up.hpp"

#include <gtest/gtest.h>

#include "core/base/clock.hpp"

namespace parkchat::client {
namespace {

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kT0 = 1'800'000'000LL * kSecond;

nlohmann::json message(const std::string& id, std::int64_t at) { return {{"id", id}, {"createdAt", format_iso8601(at)}}; }

// A room's history as the API pages it: newest first, `size` a page, the cursor an offset.
struct FakeHistory {
  std::vector<nlohmann::json> oldest_first;
  int size = 2;
  int reads = 0;
  HistoryPages pages() {
    return [this](const std::optional<std::string>& cursor) -> Result<nlohmann::json> {
      ++reads;
      const std::size_t skip = cursor ? std::stoul(*cursor) : 0;
      nlohmann::json out = {{"messages", nlohmann::json::array()}, {"hasMore", false}};
      std::size_t i = skip;
      for (; i < oldest_first.size() && i < skip + static_cast<std::size_t>(size); ++i) {
        out["messages"].push_back(oldest_first[oldest_first.size() - 1 - i]);
      }
      if (i < oldest_first.size()) {
        out["hasMore"] = true;
        out["nextCursor"] = std::to_string(i);
      }
      return out;
    };
  }
};

std::vector<std::string> ids(const CatchUp& c) {
  std::vector<std::string> out;
  for (const auto& m : c.messages) out.push_back(m["id"]);
  return out;
}

TEST(CatchUp, ReadsBackAcrossPagesToTheMomentLessTheOverlapOldestFirst) {
  FakeHistory history;
  for (int i = 0; i < 10; ++i) history.oldest_first.push_back(message("m" + std::to_string(i), kT0 + i * kSecond));
  CatchUpOptions options;
  options.overlap = std::chrono::seconds(2);
  // Complete at t0+6 s: from t0+4 s on.
  auto got = catch_up(history.pages(), kT0 + 6 * kSecond, std::nullopt, options);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(ids(*got), (std::vector<std::string>{"m4", "m5", "m6", "m7", "m8", "m9"}));
  EXPECT_TRUE(got->reached_newest);
  EXPECT_EQ(history.reads, 4);  // stops at the first page reaching older messages
}

TEST(CatchUp, WaitsForHistoryToHoldTheNewestMessageTheJoinNamed) {
  FakeHistory history;
  history.oldest_first = {message("old", kT0)};
  CatchUpOptions options;
  options.retry_every = std::chrono::milliseconds(1);
  // The persister stores the newest message on the third read.
  HistoryPages lagging = [&, pages = history.pages()](const std::optional<std::string>& cursor) {
    if (history.reads == 2) history.oldest_first.push_back(message("newest", kT0 + kSecond));
    return pages(cursor);
  };
  auto got = catch_up(lagging, kT0, std::string("newest"), options);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->reached_newest);
  EXPECT_EQ(ids(*got), (std::vector<std::string>{"old", "newest"}));
  EXPECT_EQ(history.reads, 3);
}

TEST(CatchUp, SaysSoWhenHistoryNeverHoldsTheNewestMessage) {
  FakeHistory history;
  history.oldest_first = {message("a", kT0)};
  CatchUpOptions options;
  options.patience = std::chrono::milliseconds(20);
  options.retry_every = std::chrono::milliseconds(1);
  auto got = catch_up(history.pages(), kT0, std::string("never"), options);
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->reached_newest);
  EXPECT_EQ(ids(*got), (std::vector<std::string>{"a"}));
  EXPECT_GT(history.reads, 1);
}

TEST(CatchUp, AnUnreadableHistoryIsAnError) {
  HistoryPages broken = [](const std::optional<std::string>&) -> Result<nlohmann::json> {
    return fail(Errc::unavailable, "127.0.0.1:1: connection refused");
  };
  auto got = catch_up(broken, kT0, std::nullopt);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::unavailable);
}

}  // namespace
}  // namespace parkchat::client
