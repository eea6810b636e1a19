// Messages, history and reads over NATS request/reply, against the real service and PostgreSQL.

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "core/base/uuid.hpp"
#include "tests/support/chat_harness.hpp"

namespace parkchat::testing {
namespace {

using nlohmann::json;

class MessagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    room_ = chat_.call("chat.rooms.create", {{"type", "GROUP"}, {"userId", 1}, {"memberIds", {2, 3}}})["id"];
  }
  json save(std::int64_t sender, const std::string& content, std::optional<std::string> id = std::nullopt) {
    json payload = {{"roomId", room_}, {"senderId", sender}, {"senderName", "user " + std::to_string(sender)},
                    {"content", content}, {"type", "TEXT"}};
    if (id) payload["id"] = *id;
    return chat_.request("chat.messages.save", payload);
  }
  std::int64_t unread(std::int64_t user) {
    return chat_.call("chat.messages.unreadCount", {{"userId", user}})["rooms"].value(room_, json(-1)).get<std::int64_t>();
  }

  ChatHarness chat_;
  std::string room_;
};

TEST_F(MessagesTest, SaveIsIdempotentOnTheId) {
  const std::string id = new_uuid();
  auto first = save(2, "hello", id);
  ASSERT_EQ(first["success"], true) << first.dump();
  EXPECT_EQ(first["duplicate"], false);
  EXPECT_EQ(first["data"]["id"], id);
  EXPECT_EQ(first["data"]["senderId"], 2);
  EXPECT_EQ(first["data"]["type"], "TEXT");
  auto second = save(2, "hello again", id);
  ASSERT_EQ(second["success"], true);
  EXPECT_EQ(second["duplicate"], true);
  EXPECT_EQ(second["data"]["content"], "hello");
  EXPECT_EQ(second["data"]["createdAt"], first["data"]["createdAt"]);
  EXPECT_EQ(chat_.scalar("SELECT count(*) FROM chat_messages WHERE id = '" + id + "'"), "1");
}

TEST_F(MessagesTest, AnIdOfAnotherRoomOrSenderIsAConflict) {
  const std::string id = new_uuid();
  ASSERT_EQ(save(2, "mine", id)["success"], true);
  EXPECT_EQ(save(3, "not yours", id)["error"]["code"], "CONFLICT");
  auto other_room = chat_.call("chat.rooms.create", {{"type", "GROUP"}, {"userId", 2}, {"memberIds", json::array()}})["id"];
  EXPECT_EQ(chat_.error_code("chat.messages.save", {{"roomId", other_room}, {"senderId", 2}, {"content", "x"}, {"id", id}}),
            "CONFLICT");
  EXPECT_EQ(chat_.scalar("SELECT content FROM chat_messages WHERE id = '" + id + "'"), "mine");
}

TEST_F(MessagesTest, ContentRulesAreEnforced) {
  std::string max(4000, 'a');
  EXPECT_EQ(save(2, max)["success"], true);
  EXPECT_EQ(save(2, max + "a")["error"]["code"], "VALIDATION");
  EXPECT_EQ(save(2, " \n ")["error"]["code"], "VALIDATION");
  // Invalid UTF-8 cannot even be built as a JSON value here: send the raw bytes.
  auto raw = chat_.request_raw("chat.messages.save", "{\"roomId\":\"" + room_ + "\",\"senderId\":2,\"content\":\"bad \xff utf8\"}");
  EXPECT_EQ(raw["error"]["code"], "VALIDATION") << raw.dump();
  EXPECT_EQ(chat_.error_code("chat.messages.save", {{"roomId", room_}, {"senderId", 2}, {"content", "x"}, {"type", "SYSTEM"}}),
            "VALIDATION");
  EXPECT_EQ(chat_.error_code("chat.messages.save", {{"roomId", room_}, {"senderId", 2}, {"content", "x"}, {"type", "IMAGE"}}),
            "VALIDATION");
  auto image = chat_.request("chat.messages.save",
                             {{"roomId", room_}, {"senderId", 2}, {"content", "https://cdn.example.com/a.png"}, {"message_type", "IMAGE"}});
  EXPECT_EQ(image["data"]["type"], "IMAGE");
  EXPECT_EQ(chat_.error_code("chat.messages.save", {{"roomId", room_}, {"senderId", 9}, {"content", "x"}}), "NOT_FOUND");
}

TEST_F(MessagesTest, HistoryPagesAreStableAcrossInsertsAndEqualTimestamps) {
  // 1,000 messages with only ten distinct timestamps, so most pages cut inside a run of equals.
  chat_.scalar(
      "INSERT INTO chat_messages (id, room_id, sender_id, sender_name, content, type, created_at) "
      "SELECT gen_random_uuid(), '" + room_ + "', 2, 'user 2', 'm' || g, 'TEXT', "
      "'2026-01-01T00:00:00Z'::timestamptz + (g / 100) * interval '1 second' FROM generate_series(0, 999) g");
  std::set<std::string> seen;
  std::vector<std::string> order;
  json cursor;
  int pages = 0;
  for (;;) {
    json request = {{"roomId", room_}, {"userId", 1}, {"limit", 37}};
    if (cursor.is_string()) request["cursor"] = cursor;
    auto page = chat_.call("chat.messages.list", request);
    for (const auto& m : page["messages"]) {
      if (m["type"] == "SYSTEM") continue;
      EXPECT_TRUE(seen.insert(m["id"].get<std::string>()).second) << "repeated " << m["id"];
      order.push_back(m["createdAt"].get<std::string>() + m["id"].get<std::string>());
    }
    // A newer message between pages must not disturb the older pages.
    save(3, "interleaved " + std::to_string(pages));
    ++pages;
    if (!page["hasMore"].get<bool>()) {
      EXPECT_TRUE(page["nextCursor"].is_null());
      break;
    }
    cursor = page["nextCursor"];
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_TRUE(std::is_sorted(order.rbegin(), order.rend())) << "pages must run newest first";
  EXPECT_EQ(pages, 28);
}

TEST_F(MessagesTest, LimitIsClampedAndForgedCursorsRefused) {
  for (int i = 0; i < 3; ++i) save(2, "m" + std::to_string(i));
  auto one = chat_.call("chat.messages.list", {{"roomId", room_}, {"userId", 1}, {"limit", 0}});
  EXPECT_EQ(one["messages"].size(), 1u);
  EXPECT_EQ(one["hasMore"], true);
  EXPECT_EQ(one["messages"][0]["content"], "m2");
  auto all = chat_.call("chat.messages.list", {{"roomId", room_}, {"userId", 1}, {"limit", 5000}});
  EXPECT_EQ(all["messages"].size(), 4u);  // three and the SYSTEM message of the group's creation
  EXPECT_EQ(chat_.error_code("chat.messages.list", {{"roomId", room_}, {"userId", 1}, {"cursor", "1_abc"}}), "VALIDATION");
}

TEST_F(MessagesTest, UnreadCountsSkipOwnAndSystemMessagesAndReadsOnlyMoveForward) {
  EXPECT_EQ(unread(2), 0);  // the creation SYSTEM message does not count
  auto a = save(1, "a")["data"];
  auto b = save(1, "b")["data"];
  save(2, "my own");
  auto c = save(3, "c")["data"];
  EXPECT_EQ(unread(2), 3);  // a, b, c
  EXPECT_EQ(unread(1), 2);  // "my own" of user 2, c

  auto read = chat_.call("chat.messages.markRead", {{"roomId", room_}, {"userId", 2}, {"messageId", b["id"]}});
  EXPECT_EQ(read["roomId"], room_);
  EXPECT_EQ(read["unreadCount"], 1);
  // Marking an older message read does not move the position back.
  read = chat_.call("chat.messages.markRead", {{"roomId", room_}, {"userId", 2}, {"messageId", a["id"]}});
  EXPECT_EQ(read["unreadCount"], 1);
  read = chat_.call("chat.messages.markRead", {{"roomId", room_}, {"userId", 2}, {"messageId", c["id"]}});
  EXPECT_EQ(read["unreadCount"], 0);
  EXPECT_EQ(chat_.scalar("SELECT count(*) FROM message_reads WHERE user_id = 2"), "3");

  auto totals = chat_.call("chat.messages.unreadCount", {{"userId", 3}});
  EXPECT_EQ(totals["total"], 3);  // a, b, "my own"
  EXPECT_EQ(totals["rooms"][room_], 3);
  EXPECT_EQ(chat_.error_code("chat.messages.markRead", {{"roomId", room_}, {"userId", 2}, {"messageId", new_uuid()}}),
            "NOT_FOUND");
}

TEST_F(MessagesTest, AMemberWhoLeftIsNotCountedAndSeesNothing) {
  save(1, "before");
  chat_.call("chat.rooms.removeMember", {{"roomId", room_}, {"userId", 3}});
  save(1, "after");
  EXPECT_EQ(chat_.call("chat.messages.unreadCount", {{"userId", 3}})["total"], 0);
  EXPECT_EQ(chat_.error_code("chat.messages.list", {{"roomId", room_}, {"userId", 3}}), "NOT_FOUND");
}

}  // namespace
}  // namespace parkchat::testing
