#include "core/sim/verifier.hpp"

#include <gtest/gtest.h>

namespace parkchat::sim {
namespace {

// Sender 0 sends m1, m2, m3 to a room of 0, 1 and 2.
DeliveryVerifier three_messages() {
  DeliveryVerifier v;
  v.acked("m1", 0, {1, 2});
  v.acked("m2", 0, {1, 2});
  v.acked("m3", 0, {1, 2});
  return v;
}

TEST(DeliveryVerifier, AllDeliveredInOrderIsClean) {
  auto v = three_messages();
  std::uint64_t seq = 0;
  for (const char* id : {"m1", "m2", "m3"}) {
    ++seq;
    v.delivered(1, id, 0, seq);
    v.delivered(2, id, 0, seq);
  }
  auto c = v.finish();
  EXPECT_EQ(c.expected, 6u);
  EXPECT_EQ(c.delivered, 6u);
  EXPECT_EQ(c.lost + c.duplicated + c.out_of_order + c.unexpected, 0u);
}

TEST(DeliveryVerifier, CatchesALoss) {
  auto v = three_messages();
  v.delivered(1, "m1", 0, 1);
  v.delivered(1, "m2", 0, 2);
  v.delivered(1, "m3", 0, 3);
  v.delivered(2, "m1", 0, 1);
  v.delivered(2, "m3", 0, 3);  // m2 never reached 2
  auto counts = v.finish();
  EXPECT_EQ(counts.lost, 1u);
  EXPECT_EQ(counts.lost_messages, 1u);
  EXPECT_EQ(counts.lost_recipients, 1u);
  EXPECT_EQ(counts.a_lost_message, "m2");
}

// The run may end only once every owed pair arrived: receipts nobody was owed (a socket whose
// join was still on its way, a message whose ack timed out, a second copy) do not count.
TEST(DeliveryVerifier, OnlyOwedReceiptsSettleTheBooks) {
  DeliveryVerifier v;
  v.delivered(1, "m1", 0, 1);  // before its ack
  v.acked("m1", 0, {2, 1});
  EXPECT_EQ(v.owed_received(), 1u);
  v.delivered(3, "m1", 0, 1);       // 3 joined after m1 was sent: not owed
  v.delivered(1, "m1", 0, 1);       // a second copy
  v.delivered(2, "timed-out", 0, 2);  // never acknowledged
  EXPECT_EQ(v.owed_received(), 1u);
  EXPECT_LT(v.owed_received(), v.expected_count());
  v.delivered(2, "m1", 0, 1);
  EXPECT_EQ(v.owed_received(), v.expected_count());
  EXPECT_EQ(v.finish().lost, 0u);
  EXPECT_EQ(v.finish().lost_messages, 0u);
}

TEST(DeliveryVerifier, CatchesADuplicate) {
  auto v = three_messages();
  for (int r : {1, 2}) {
    v.delivered(r, "m1", 0, 1);
    v.delivered(r, "m2", 0, 2);
    v.delivered(r, "m3", 0, 3);
  }
  v.delivered(2, "m2", 0, 2);
  auto c = v.finish();
  EXPECT_EQ(c.duplicated, 1u);
  EXPECT_EQ(c.lost, 0u);
}

TEST(DeliveryVerifier, CatchesAReordering) {
  auto v = three_messages();
  v.delivered(1, "m1", 0, 1);
  v.delivered(1, "m3", 0, 3);
  v.delivered(1, "m2", 0, 2);  // older than m3, after it
  for (const char* id : {"m1", "m2", "m3"}) v.delivered(2, id, 0, id[1] - '0');
  auto c = v.finish();
  EXPECT_EQ(c.out_of_order, 1u);
  EXPECT_EQ(c.lost, 0u);
}

TEST(DeliveryVerifier, DeliveryBeforeAckAndUnstableRecipients) {
  DeliveryVerifier v;
  v.delivered(1, "m1", 0, 1);  // the receipt raced the ack
  v.acked("m1", 0, {1, 2});
  v.unstable(2);               // 2 disconnected: not a loss
  v.delivered(3, "ghost", 0, 1);
  auto c = v.finish();
  EXPECT_EQ(c.delivered, 1u);
  EXPECT_EQ(c.lost, 0u);
  EXPECT_EQ(c.unexpected, 1u);
}

TEST(DeliveryVerifier, ACatchUpFromHistoryFillsTheGapWithoutCountingAsReordered) {
  auto v = three_messages();
  for (const char* id : {"m1", "m2", "m3"}) v.delivered(2, id, 0, id[1] - '0');
  // Recipient 1 lost its connection after m1, got m3 live after rejoining, then m2 from history.
  v.delivered(1, "m1", 0, 1);
  v.delivered(1, "m3", 0, 3);
  EXPECT_FALSE(v.received(1, "m2"));
  v.delivered(1, "m2", 0, 2, /*from_history=*/true);
  EXPECT_TRUE(v.received(1, "m2"));
  auto c = v.finish();
  EXPECT_EQ(c.lost, 0u);
  EXPECT_EQ(c.out_of_order, 0u);
  EXPECT_EQ(v.owed_received(), v.expected_count());
}

}  // namespace
}  // namespace parkchat::sim
