// Rooms and membership over NATS request/reply, against the real service, NATS and PostgreSQL.

#include <thread>

#include <gtest/gtest.h>

#include "tests/support/chat_harness.hpp"

namespace parkchat::testing {
namespace {

using nlohmann::json;

class RoomsTest : public ::testing::Test {
 protected:
  json group(std::int64_t creator, std::vector<std::int64_t> others) {
    return chat_.call("chat.rooms.create", {{"type", "GROUP"}, {"name", "Sunday round"}, {"userId", creator},
                                            {"userName", "user " + std::to_string(creator)}, {"memberIds", others}});
  }
  std::vector<std::int64_t> member_ids(const json& room) {
    std::vector<std::int64_t> ids;
    for (const auto& m : room["members"]) ids.push_back(m["userId"].get<std::int64_t>());
    return ids;
  }
  json admins(const json& room) {
    json out = json::array();
    for (const auto& m : room["members"]) {
      if (m["isAdmin"].get<bool>()) out.push_back(m["userId"]);
    }
    return out;
  }
  // The SYSTEM messages of a room, oldest first, as member `viewer` sees them.
  std::vector<std::string> system_texts(const std::string& room_id, std::int64_t viewer = 1) {
    auto page = chat_.call("chat.messages.list", {{"roomId", room_id}, {"userId", viewer}, {"limit", 100}});
    std::vector<std::string> texts;
    for (const auto& m : page["messages"]) {
      if (m["type"] == "SYSTEM") texts.insert(texts.begin(), m["content"].get<std::string>());
    }
    return texts;
  }

  ChatHarness chat_;
};

TEST_F(RoomsTest, DirectRoomIsOnePerPairWhoeverCreatesIt) {
  auto first = chat_.call("chat.rooms.create", {{"type", "DIRECT"}, {"memberIds", {4, 5}}, {"memberNames", {"Kim", "Lee"}}});
  EXPECT_EQ(first["type"], "DIRECT");
  EXPECT_EQ(first["created"], true);
  EXPECT_EQ(member_ids(first), (std::vector<std::int64_t>{4, 5}));
  EXPECT_TRUE(first["lastMessage"].is_null());
  auto again = chat_.call("chat.rooms.create", {{"type", "DIRECT"}, {"userId", 5}, {"participant_ids", {4}}});
  EXPECT_EQ(again["id"], first["id"]);
  EXPECT_EQ(again["created"], false);
  EXPECT_EQ(chat_.scalar("SELECT count(*) FROM chat_rooms"), "1");
}

TEST_F(RoomsTest, ConcurrentDirectCreatesGiveOneRoom) {
  constexpr int kPairs = 10;
  constexpr int kRacers = 4;
  std::vector<std::thread> racers;
  std::vector<std::string> ids(kPairs * kRacers);
  for (int pair = 0; pair < kPairs; ++pair) {
    for (int r = 0; r < kRacers; ++r) {
      racers.emplace_back([&, pair, r] {
        // Half of the racers create from each side of the pair.
        std::int64_t a = 100 + pair, b = 200 + pair;
        auto room = chat_.call("chat.rooms.create", {{"type", "DIRECT"}, {"userId", r % 2 ? a : b}, {"memberIds", {r % 2 ? b : a}}});
        ids[static_cast<std::size_t>(pair * kRacers + r)] = room.value("id", "");
      });
    }
  }
  for (auto& t : racers) t.join();
  for (int pair = 0; pair < kPairs; ++pair) {
    for (int r = 1; r < kRacers; ++r) EXPECT_EQ(ids[static_cast<std::size_t>(pair * kRacers + r)], ids[static_cast<std::size_t>(pair * kRacers)]);
  }
  EXPECT_EQ(chat_.scalar("SELECT count(*) FROM chat_rooms"), std::to_string(kPairs));
  EXPECT_EQ(chat_.scalar("SELECT count(*) FROM chat_room_members"), std::to_string(2 * kPairs));
}

TEST_F(RoomsTest, ALargeGroupIsCreatedAndItsSystemMessageStaysShort) {
  std::vector<std::int64_t> others;
  for (std::int64_t u = 1000; u < 1500; ++u) others.push_back(u);
  auto room = chat_.call("chat.rooms.create", {{"type", "GROUP"}, {"userId", 1}, {"memberIds", others}, {"name", "club"}});
  ASSERT_EQ(room["members"].size(), 501u) << room.dump().substr(0, 300);
  auto texts = system_texts(room["id"]);
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_NE(texts[0].find("and 490 others"), std::string::npos) << texts[0];
  EXPECT_LT(texts[0].size(), 400u);
}

TEST_F(RoomsTest, DirectRoomNeedsExactlyOneOtherUser) {
  EXPECT_EQ(chat_.error_code("chat.rooms.create", {{"type", "DIRECT"}, {"userId", 4}, {"memberIds", {4}}}), "VALIDATION");
  EXPECT_EQ(chat_.error_code("chat.rooms.create", {{"type", "DIRECT"}, {"userId", 4}, {"memberIds", {5, 6}}}), "VALIDATION");
}

TEST_F(RoomsTest, GroupCreatorIsAdminAndAdminsManageMembers) {
  auto room = group(1, {2, 3});
  const std::string id = room["id"];
  EXPECT_EQ(admins(room), json::array({1}));
  EXPECT_EQ(room["name"], "Sunday round");

  EXPECT_EQ(chat_.error_code("chat.rooms.addMembers", {{"roomId", id}, {"userId", 2}, {"userIds", {9}}}), "FORBIDDEN");
  auto added = chat_.call("chat.rooms.addMembers",
                          {{"roomId", id}, {"userId", 1}, {"userIds", {4, 5, 2}}, {"userNames", {"Dee", "Eve", "x"}}});
  EXPECT_EQ(member_ids(added), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));

  EXPECT_EQ(chat_.error_code("chat.rooms.removeMember", {{"roomId", id}, {"userId", 2}, {"targetUserId", 3}}), "FORBIDDEN");
  auto removed = chat_.call("chat.rooms.removeMember", {{"roomId", id}, {"userId", 1}, {"targetUserId", 3}});
  EXPECT_EQ(member_ids(removed), (std::vector<std::int64_t>{1, 2, 4, 5}));
  EXPECT_EQ(chat_.error_code("chat.rooms.removeMember", {{"roomId", id}, {"userId", 1}, {"targetUserId", 3}}), "NOT_FOUND");
  EXPECT_EQ(chat_.error_code("chat.rooms.get", {{"roomId", id}, {"userId", 3}}), "NOT_FOUND");

  EXPECT_EQ(system_texts(id), (std::vector<std::string>{"user 1 created the group with user 2, user 3",
                                                        "user 1 invited Dee, Eve", "user 1 removed user 3"}));
}

TEST_F(RoomsTest, WhenTheLastAdminLeavesTheLongestStandingMemberTakesOver) {
  auto room = group(1, {2});
  const std::string id = room["id"];
  chat_.call("chat.rooms.addMembers", {{"roomId", id}, {"userId", 1}, {"userIds", {3}}});
  auto left = chat_.call("chat.rooms.removeMember", {{"roomId", id}, {"userId", 1}});
  EXPECT_EQ(left["roomId"], id);
  auto now = chat_.call("chat.rooms.get", {{"roomId", id}, {"userId", 2}});
  EXPECT_EQ(member_ids(now), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(admins(now), json::array({2}));
  auto texts = system_texts(id, 2);
  ASSERT_GE(texts.size(), 2u);
  EXPECT_EQ(texts[texts.size() - 2], "user 1 left");
  EXPECT_EQ(texts.back(), "user 2 is now an admin");
  // A plain member leaving changes no admin.
  chat_.call("chat.rooms.removeMember", {{"roomId", id}, {"userId", 3}});
  EXPECT_EQ(admins(chat_.call("chat.rooms.get", {{"roomId", id}, {"userId", 2}})), json::array({2}));
}

TEST_F(RoomsTest, MembershipHistoryIsKeptAndARejoinIsANewMembership) {
  auto room = group(1, {2});
  const std::string id = room["id"];
  chat_.call("chat.rooms.removeMember", {{"roomId", id}, {"userId", 2}});
  chat_.call("chat.rooms.addMembers", {{"roomId", id}, {"userId", 1}, {"userIds", {2}}});
  EXPECT_EQ(chat_.scalar("SELECT count(*) FROM chat_room_members WHERE user_id = 2"), "2");
  EXPECT_EQ(chat_.scalar("SELECT count(*) FROM chat_room_members WHERE user_id = 2 AND left_at IS NULL"), "1");
}

TEST_F(RoomsTest, RoomsOfOthersAndUnknownRoomsAreNotFound) {
  auto room = group(1, {2});
  const std::string id = room["id"];
  const std::string unknown = "00000000-0000-4000-8000-000000000000";
  for (const std::string& target : {id, unknown, std::string("not-a-uuid")}) {
    EXPECT_EQ(chat_.error_code("chat.rooms.get", {{"roomId", target}, {"userId", 9}}), "NOT_FOUND") << target;
    EXPECT_EQ(chat_.error_code("chat.messages.list", {{"roomId", target}, {"userId", 9}}), "NOT_FOUND") << target;
    EXPECT_EQ(chat_.error_code("chat.rooms.addMembers", {{"roomId", target}, {"userId", 9}, {"userIds", {8}}}), "NOT_FOUND");
    EXPECT_EQ(chat_.error_code("chat.rooms.removeMember", {{"roomId", target}, {"userId", 9}}), "NOT_FOUND") << target;
    EXPECT_EQ(chat_.error_code("chat.messages.save", {{"roomId", target}, {"senderId", 9}, {"content", "hi"}}), "NOT_FOUND");
    EXPECT_EQ(chat_.error_code("chat.messages.markRead",
                               {{"roomId", target}, {"userId", 9}, {"messageId", "00000000-0000-4000-8000-000000000001"}}),
              "NOT_FOUND");
  }
}

TEST_F(RoomsTest, ListGivesMembersLastMessageAndUnreadNewestActivityFirst) {
  auto older = group(1, {2});
  auto newer = group(1, {3});
  chat_.call("chat.messages.save", {{"roomId", older["id"]}, {"senderId", 2}, {"content", "bump"}});
  auto rooms = chat_.call("chat.rooms.list", {{"userId", 1}});
  ASSERT_EQ(rooms.size(), 2u);
  EXPECT_EQ(rooms[0]["id"], older["id"]);
  EXPECT_EQ(rooms[0]["lastMessage"]["content"], "bump");
  EXPECT_EQ(rooms[0]["unreadCount"], 1);
  EXPECT_EQ(rooms[1]["id"], newer["id"]);
  EXPECT_EQ(rooms[1]["unreadCount"], 0);  // only a SYSTEM message there
  EXPECT_EQ(rooms[1]["lastMessage"]["type"], "SYSTEM");
  EXPECT_EQ(member_ids(rooms[1]), (std::vector<std::int64_t>{1, 3}));
  EXPECT_EQ(chat_.call("chat.rooms.list", {{"userId", 2}}).size(), 1u);
  EXPECT_EQ(chat_.call("chat.rooms.list", {{"userId", 77}}), json::array());
}

TEST_F(RoomsTest, BookingRoomFollowsTheBookingsEvents) {
  auto participants = [](std::vector<std::int64_t> ids) {
    json out = json::array();
    for (auto id : ids) out.push_back({{"userId", id}, {"userName", "golfer " + std::to_string(id)}});
    return out;
  };
  auto created = chat_.call("booking.created", {{"bookingId", 77}, {"name", "Tee 7:00"}, {"participants", participants({1, 2})}});
  EXPECT_EQ(created["created"], true);
  const std::string id = created["roomId"];
  auto twice = chat_.call("booking.created", {{"bookingId", 77}, {"participants", participants({1, 2})}});
  EXPECT_EQ(twice["roomId"], id);
  EXPECT_EQ(chat_.scalar("SELECT count(*) FROM chat_rooms WHERE booking_id = 77"), "1");

  chat_.call("booking.updated", {{"bookingId", 77}, {"participants", participants({2, 3})}});
  auto room = chat_.call("chat.rooms.get", {{"roomId", id}, {"userId", 2}});
  EXPECT_EQ(room["type"], "BOOKING");
  EXPECT_EQ(room["bookingId"], 77);
  EXPECT_EQ(room["name"], "Tee 7:00");
  EXPECT_EQ(member_ids(room), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(chat_.error_code("chat.rooms.get", {{"roomId", id}, {"userId", 1}}), "NOT_FOUND");

  chat_.call("chat.messages.save", {{"roomId", id}, {"senderId", 2}, {"content", "see you there"}});
  chat_.call("booking.cancelled", {{"bookingId", 77}});
  EXPECT_EQ(chat_.error_code("chat.messages.save", {{"roomId", id}, {"senderId", 2}, {"content", "hello?"}}), "FORBIDDEN");
  auto closed = chat_.call("chat.rooms.get", {{"roomId", id}, {"userId", 3}});
  EXPECT_EQ(closed["readOnly"], true);
  auto history = chat_.call("chat.messages.list", {{"roomId", id}, {"userId", 3}});
  EXPECT_EQ(history["messages"][0]["type"], "SYSTEM");
  EXPECT_EQ(history["messages"][1]["content"], "see you there");
}

TEST_F(RoomsTest, TwoServiceProcessesShareTheRequests) {
  // A second service on the same NATS joins queue group chat-service; each request goes to one.
  service::ChatService second(chat_.nats(), chat_.pool());
  ASSERT_TRUE(second.start());
  auto room = group(1, {2});
  for (int i = 0; i < 60; ++i) chat_.call("chat.rooms.get", {{"roomId", room["id"]}, {"userId", 1}});
  second.stop();
  EXPECT_GT(second.handled(), 0u);
  EXPECT_LT(second.handled(), 61u);
}

TEST_F(RoomsTest, BadPayloadsAreValidationErrors) {
  for (const char* subject : {"chat.rooms.list", "chat.rooms.get", "chat.rooms.create", "chat.rooms.removeMember",
                              "chat.rooms.addMembers", "chat.messages.list", "chat.messages.save",
                              "chat.messages.markRead", "chat.messages.unreadCount", "booking.created"}) {
    for (const char* payload : {"{not json", "[1,2]", "\"text\"", "", "{}"}) {
      auto reply = chat_.request_raw(subject, payload);
      EXPECT_EQ(reply["success"], false) << subject << " " << payload;
      EXPECT_EQ(reply["error"]["code"], "VALIDATION") << subject << " " << payload << ": " << reply.dump();
    }
  }
  EXPECT_EQ(chat_.error_code("chat.rooms.list", {{"userId", -4}}), "VALIDATION");
  EXPECT_EQ(chat_.error_code("chat.rooms.list", {{"userId", "abc"}}), "VALIDATION");
}

}  // namespace
}  // namespace parkchat::testing
