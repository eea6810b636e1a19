#include "daemon/gateway/room_membership.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/proto/envelope.hpp"

namespace parkchat::gateway {
namespace {

using Outcome = RoomMembership::Outcome;
const std::string kRoom = "6f1c7c2e-8a51-4c1e-9a7e-0d3b2f5a9c10";

// The service's answer naming `members` of a GROUP room.
Result<std::string> described(std::vector<std::int64_t> members, const char* type = "GROUP") {
  nlohmann::json list = nlohmann::json::array();
  for (auto id : members) list.push_back({{"userId", id}});
  return proto::ok_envelope({{"id", kRoom}, {"type", type}, {"members", list}}).dump();
}

RoomMembership::Join join(const char* socket, std::int64_t user, std::uint64_t ack = 1) { return {socket, ack, user}; }

std::vector<Outcome> outcomes(const RoomMembership::Answer& answer) {
  std::vector<Outcome> out;
  for (const auto& v : answer.verdicts) out.push_back(v.outcome);
  return out;
}

TEST(RoomMembership, JoinsDuringARequestWaitForItsAnswerAndTheAnswerAdmitsThoseItNames) {
  RoomMembership room;
  EXPECT_FALSE(room.admits(1));
  EXPECT_TRUE(room.enqueue(join("a", 1)));   // asks
  EXPECT_FALSE(room.enqueue(join("b", 2)));  // waits
  EXPECT_FALSE(room.enqueue(join("c", 3)));
  EXPECT_TRUE(room.joining());
  auto answer = room.answer(room.version(), described({1, 2, 3}, "DIRECT"), kRoom);
  ASSERT_TRUE(answer.described);
  EXPECT_EQ(outcomes(answer), (std::vector<Outcome>{Outcome::admit, Outcome::admit, Outcome::admit}));
  EXPECT_EQ(answer.verdicts[1].join.socket_id, "b");
  EXPECT_EQ(room.type(), chat::RoomType::direct);
  EXPECT_FALSE(room.joining());
  // Cached now: the next join of a member needs no request.
  EXPECT_TRUE(room.admits(3));
  EXPECT_FALSE(room.admits(4));
}

TEST(RoomMembership, AnAnswerToAnotherUsersQuestionMakesAWaiterAskItsOwn) {
  RoomMembership room;
  room.enqueue(join("stranger", 9));
  room.enqueue(join("member", 2));
  room.enqueue(join("other-stranger", 8));
  // The service refuses the asker (not a member): its answer says nothing of the others.
  auto answer = room.answer(room.version(), fail(Errc::not_found, "room not found"), kRoom);
  EXPECT_FALSE(answer.described);
  EXPECT_EQ(outcomes(answer), (std::vector<Outcome>{Outcome::failed, Outcome::ask_again, Outcome::ask_again}));
  EXPECT_EQ(answer.described.error().code, Errc::not_found);
  // The first to ask again sends the next request; the rest wait for it.
  EXPECT_TRUE(room.enqueue(answer.verdicts[1].join));
  EXPECT_FALSE(room.enqueue(answer.verdicts[2].join));
  auto second = room.answer(room.version(), described({2, 5}), kRoom);
  EXPECT_EQ(outcomes(second), (std::vector<Outcome>{Outcome::admit, Outcome::ask_again}));
}

TEST(RoomMembership, AnAnswerThatDoesNotNameItsAskerIsNotFound) {
  RoomMembership room;
  room.enqueue(join("a", 7));
  auto answer = room.answer(room.version(), described({1, 2}), kRoom);
  EXPECT_TRUE(answer.described);
  EXPECT_EQ(outcomes(answer), (std::vector<Outcome>{Outcome::not_found}));
}

TEST(RoomMembership, AMembershipEventDuringARequestIsNewerThanItsAnswer) {
  RoomMembership room;
  room.enqueue(join("a", 1));
  const auto asked_at = room.version();
  // User 3 is added while the service answers with the list from before.
  room.replace_members({1, 2, 3});
  EXPECT_NE(room.version(), asked_at);
  auto answer = room.answer(asked_at, described({1, 2}), kRoom);
  EXPECT_EQ(outcomes(answer), (std::vector<Outcome>{Outcome::admit}));
  EXPECT_TRUE(room.admits(3));
  // And a removal is not undone by an answer that still names the user.
  room.enqueue(join("b", 2));
  const auto before_removal = room.version();
  room.replace_members({1, 3});
  auto stale = room.answer(before_removal, described({1, 2, 3}), kRoom);
  EXPECT_EQ(outcomes(stale), (std::vector<Outcome>{Outcome::not_found}));
  EXPECT_FALSE(room.admits(2));
  EXPECT_FALSE(room.has_member(2));
}

TEST(RoomMembership, AMembershipEventAloneAdmitsNoOneWithoutTheServicesWord) {
  // The event carries members but not the room's type: a join still asks once.
  RoomMembership room;
  room.replace_members({1});
  EXPECT_TRUE(room.has_member(1));
  EXPECT_FALSE(room.admits(1));
}

TEST(RoomMembership, AnOddAnswerFailsTheAskerAndNamesTheRoom) {
  RoomMembership room;
  room.enqueue(join("a", 1));
  room.enqueue(join("b", 1));
  auto answer = room.answer(room.version(), proto::ok_envelope({{"type", "SQUARE"}}).dump(), kRoom);
  ASSERT_FALSE(answer.described);
  EXPECT_NE(answer.described.error().message.find(kRoom), std::string::npos);
  EXPECT_EQ(outcomes(answer), (std::vector<Outcome>{Outcome::failed, Outcome::ask_again}));
  EXPECT_FALSE(room.admits(1));
}

}  // namespace
}  // namespace parkchat::gateway
