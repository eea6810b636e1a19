// What arrives through JetStream: the persister stores each message once, after commit, also
// across restarts and database outages; notify pushes to members without an online socket.

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/base/uuid.hpp"
#include "core/bus/streams.hpp"
#include "core/chat/subjects.hpp"
#include "core/store/pg_connection.hpp"
#include "daemon/gateway/presence_announcer.hpp"
#include "daemon/gateway/user_directory.hpp"
#include "daemon/notify/notifier.hpp"
#include "tests/support/chat_harness.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using nlohmann::json;

class JetStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    room_ = chat_.call("chat.rooms.create", {{"type", "GROUP"}, {"userId", 1}, {"memberIds", {2, 3}}})["id"];
  }
  std::string count_messages(const std::string& extra = "") {
    return chat_.scalar("SELECT count(*) FROM chat_messages WHERE type <> 'SYSTEM'" + extra);
  }

  ChatHarness chat_;
  std::string room_;
};

TEST_F(JetStreamTest, StreamsAreBroughtUpToDate) {
  // A CHAT_TYPING made by someone else, with a longer max age and one subject too many.
  js_DeleteStream(chat_.nats().jetstream(), bus::kTypingStream, nullptr, nullptr);
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = bus::kTypingStream;
  const char* subjects[] = {"chat.room.*.typing", "chat.extra.typing"};
  config.Subjects = subjects;
  config.SubjectsLen = 2;
  config.MaxAge = 3600LL * 1000 * 1000 * 1000;
  config.Storage = js_MemoryStorage;
  ASSERT_EQ(js_AddStream(nullptr, chat_.nats().jetstream(), &config, nullptr, nullptr), NATS_OK);

  ASSERT_TRUE(bus::ensure_streams(chat_.nats()));
  jsStreamInfo* info = nullptr;
  ASSERT_EQ(js_GetStreamInfo(&info, chat_.nats().jetstream(), bus::kTypingStream, nullptr, nullptr), NATS_OK);
  EXPECT_EQ(info->Config->MaxAge, 10LL * 1000 * 1000 * 1000);
  EXPECT_EQ(info->Config->SubjectsLen, 1);
  // Made again (nats-server 2.9 cannot add RePublish to a stream): it republishes what it stores.
  ASSERT_NE(info->Config->RePublish, nullptr);
  EXPECT_STREQ(info->Config->RePublish->Destination, "chat.live.$1.typing");
  jsStreamInfo_Destroy(info);
  ASSERT_EQ(js_GetStreamInfo(&info, chat_.nats().jetstream(), bus::kMessagesStream, nullptr, nullptr), NATS_OK);
  EXPECT_EQ(info->Config->Storage, js_FileStorage);
  EXPECT_EQ(info->Config->SubjectsLen, 2);
  EXPECT_TRUE(info->Config->AllowDirect);
  EXPECT_EQ(info->Config->Duplicates, 120LL * 1000 * 1000 * 1000);
  jsStreamInfo_Destroy(info);
}

// The streams' settings have one owner: a gateway started with another --dedupe-window finds
// the streams and leaves them be; a service brings them to its own flags.
TEST_F(JetStreamTest, OnlyTheServiceRoleSetsTheStreams) {
  auto duplicates_ns = [&] {
    jsStreamInfo* info = nullptr;
    if (js_GetStreamInfo(&info, chat_.nats().jetstream(), bus::kMessagesStream, nullptr, nullptr) != NATS_OK) return -1LL;
    const long long ns = info->Config->Duplicates;
    jsStreamInfo_Destroy(info);
    return ns;
  };
  constexpr long long kSecondNs = 1000LL * 1000 * 1000;
  ASSERT_TRUE(bus::ensure_streams(chat_.nats()));
  ASSERT_EQ(duplicates_ns(), 120 * kSecondNs);
  ScratchDatabase db;
  auto args = [&](const char* roles, const char* window) {
    return std::vector<std::string>{"--nats-url", TestStack::get().nats_url(), "--database-url", db.url(), "--jwt-secret",
                                    "streams-secret", "--roles", roles, "--dedupe-window", window};
  };
  {
    ServeProcess gateway(args("gateway,api", "5s"));
    ASSERT_FALSE(gateway.url().empty()) << gateway.log();
    EXPECT_EQ(duplicates_ns(), 120 * kSecondNs);
  }
  {
    ServeProcess service(args("service,api", "3m"));
    ASSERT_FALSE(service.url().empty()) << service.log();
    EXPECT_EQ(duplicates_ns(), 180 * kSecondNs);
  }
  ASSERT_TRUE(bus::ensure_streams(chat_.nats()));  // as the other tests expect them
}

// Copies on other servers need other servers: a lone nats-server keeps one copy whatever it is
// told, so the service refuses to start, with an error that says what --stream-replicas needs.
TEST_F(JetStreamTest, ReplicasWithoutAClusterAreRefusedClearly) {
  bus::StreamOptions options;
  options.replicas = 3;
  auto ensured = bus::ensure_streams(chat_.nats(), options);
  ASSERT_FALSE(ensured);
  EXPECT_NE(ensured.error().message.find("keeps 1 copy: --stream-replicas 3 needs a JetStream cluster of at least 3 servers"),
            std::string::npos)
      << ensured.error().message;
  ASSERT_TRUE(bus::ensure_streams(chat_.nats()));
}

TEST_F(JetStreamTest, PublishedMessagesAreStoredOnceAndMoveTheRoomForward) {
  std::vector<json> sent;
  for (int i = 0; i < 200; ++i) sent.push_back(ChatHarness::message(room_, 1 + i % 3, "m" + std::to_string(i)));
  for (const auto& m : sent) chat_.publish_message(m);
  // The same ids again: JetStream drops them as duplicates within its window.
  for (int i = 0; i < 20; ++i) chat_.publish_message(sent[static_cast<std::size_t>(i)]);
  chat_.wait_stored(200);
  EXPECT_EQ(count_messages(), "200");
  EXPECT_EQ(chat_.scalar("SELECT updated_at = (SELECT max(created_at) FROM chat_messages) FROM chat_rooms"), "t");
  auto page = chat_.call("chat.messages.list", {{"roomId", room_}, {"userId", 2}, {"limit", 1}});
  EXPECT_EQ(page["messages"][0]["id"], sent.back()["id"]);
  EXPECT_EQ(page["messages"][0]["createdAt"], sent.back()["createdAt"]);
}

TEST_F(JetStreamTest, AMessageAlreadySavedThroughRestIsNotStoredTwice) {
  auto saved = chat_.call("chat.messages.save", {{"roomId", room_}, {"senderId", 2}, {"content", "via REST"}});
  json again = ChatHarness::message(room_, 2, "via REST");
  again["id"] = saved["id"];
  chat_.publish_message(again);
  // A duplicate stores nothing; the message after it shows the persister got past it.
  chat_.publish_message(ChatHarness::message(room_, 2, "after"));
  chat_.wait_stored(1);
  EXPECT_EQ(count_messages(), "2");
}

TEST_F(JetStreamTest, TheConsumerCatchesUpAfterTheServiceRestarts) {
  chat_.stop_persister();
  std::vector<json> sent;
  for (int i = 0; i < 300; ++i) sent.push_back(ChatHarness::message(room_, 2, "while down " + std::to_string(i)));
  for (const auto& m : sent) chat_.publish_message(m);
  EXPECT_EQ(count_messages(), "0");
  chat_.start_persister();
  chat_.wait_stored(300);
  EXPECT_EQ(count_messages(), "300");
  EXPECT_EQ(count_messages(" AND content LIKE 'while down %'"), "300");
}

TEST_F(JetStreamTest, MessagesSentWhileTheDatabaseIsDownAreStoredOnceItIsBack) {
  // Refuse new connections to this test's database and end the open ones: the service's
  // database is down as far as it can tell.
  const std::string name = chat_.db().name();
  auto admin = store::PgConnection::connect(TestStack::get().database_url("postgres"));
  ASSERT_TRUE(admin);
  ASSERT_TRUE(admin->exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false"));
  ASSERT_TRUE(admin->exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'"));
  for (int i = 0; i < 50; ++i) chat_.publish_message(ChatHarness::message(room_, 3, "outage " + std::to_string(i)));
  // The persister must really have met the outage before the database comes back.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (chat_.deferred() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(chat_.deferred(), 0u);
  ASSERT_TRUE(admin->exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true"));
  chat_.wait_stored(50, std::chrono::seconds(60));
  EXPECT_EQ(count_messages(" AND content LIKE 'outage %'"), "50");
}

// Waits (bounded) until the persister has dead-lettered `count` messages.
bool dead_lettered(ChatHarness& chat, std::uint64_t count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (chat.dead_lettered() < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return chat.dead_lettered() == count;
}

// The reasons in CHAT_DEADLETTER, in order.
std::vector<std::string> dead_letter_reasons(bus::NatsClient& nats, std::uint64_t count) {
  std::vector<std::string> reasons;
  for (std::uint64_t seq = 1; seq <= count; ++seq) {
    natsMsg* msg = nullptr;
    if (js_GetMsg(&msg, nats.jetstream(), bus::kDeadLetterStream, seq, nullptr, nullptr) != NATS_OK) break;
    reasons.emplace_back(bus::header(msg, bus::kDeadLetterReasonHeader));
    natsMsg_Destroy(msg);
  }
  return reasons;
}

TEST_F(JetStreamTest, MalformedMessagesOnTheStreamAreDeadLetteredWithoutHarm) {
  for (const char* bad : {"{not json", "[]", R"({"id":"nope","roomId":"x"})"}) {
    auto published = chat_.nats().publish_durable("chat.room." + room_ + ".message", bad, std::string("bad-") + bad);
    ASSERT_TRUE(published) << published.error().message;
  }
  auto good = ChatHarness::message(room_, 2, "still fine");
  chat_.publish_message(good);
  chat_.wait_stored(1);
  EXPECT_EQ(count_messages(), "1");
  EXPECT_TRUE(dead_lettered(chat_, 3)) << chat_.dead_lettered();
  for (const auto& reason : dead_letter_reasons(chat_.nats(), 3)) {
    EXPECT_EQ(reason.rfind("not a storable message: ", 0), 0u) << reason;
  }
}

// A poisoned message among good ones, of every kind: one our validation refuses (published by
// some other producer), one for a room that does not exist, and one PostgreSQL itself refuses
// (a constraint of this test's database that our validation does not know). Each goes to
// CHAT_DEADLETTER with its reason; every good message of the same batches is stored, in this
// room and in a bystander's.
TEST_F(JetStreamTest, AMessageThatCannotBeStoredBlocksNoOther) {
  auto conn = store::PgConnection::connect(chat_.db().url());
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->exec("ALTER TABLE chat_messages ADD CONSTRAINT refuses_poison CHECK (content NOT LIKE '%poison%')"));
  const std::string bystanders =
      chat_.call("chat.rooms.create", {{"type", "GROUP"}, {"userId", 7}, {"memberIds", {8}}})["id"];
  chat_.stop_persister();  // so that the bad and the good arrive in the same batches
  for (int i = 0; i < 100; ++i) {
    chat_.publish_message(ChatHarness::message(i % 2 == 0 ? room_ : bystanders, i % 2 == 0 ? 2 : 7,
                                               "good " + std::to_string(i)));
    if (i == 10) chat_.publish_message(ChatHarness::message(room_, 2, std::string("nul \0 inside", 12)));
    if (i == 40) chat_.publish_message(ChatHarness::message(room_, 2, "a poison pill"));
    if (i == 70) chat_.publish_message(ChatHarness::message(new_uuid(), 2, "to a room nobody made"));
  }
  chat_.start_persister();
  chat_.wait_stored(100);
  EXPECT_EQ(count_messages(" AND content LIKE 'good %'"), "100");
  ASSERT_TRUE(dead_lettered(chat_, 3)) << chat_.dead_lettered();
  auto reasons = dead_letter_reasons(chat_.nats(), 3);
  ASSERT_EQ(reasons.size(), 3u);
  std::sort(reasons.begin(), reasons.end());
  EXPECT_NE(reasons[0].find("U+0000"), std::string::npos) << reasons[0];
  EXPECT_NE(reasons[1].find("does not exist"), std::string::npos) << reasons[1];
  EXPECT_NE(reasons[2].find("SQLSTATE 23514"), std::string::npos) << reasons[2];
  // Acked on the main consumer: nothing is left waiting there for redelivery.
  auto unacked = [&]() -> std::int64_t {
    auto streams = bus::report_streams(chat_.nats());
    if (!streams) return -1;
    for (const auto& stream : *streams) {
      for (const auto& consumer : stream.consumers) {
        if (stream.name == bus::kMessagesStream && consumer.name == "chat-service") {
          return consumer.ack_pending + static_cast<std::int64_t>(consumer.pending);
        }
      }
    }
    return -1;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (unacked() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(unacked(), 0);
}

// Past the stream's duplicate window nothing drops a reused id before the persister: a
// different message under a stored id is dead-lettered, never stored over the first, and the
// same message again stores nothing.
TEST_F(JetStreamTest, AnIdReusedPastTheDuplicateWindowIsDeadLetteredNotStoredOverTheFirst) {
  const std::string other_room =
      chat_.call("chat.rooms.create", {{"type", "GROUP"}, {"userId", 7}, {"memberIds", {8}}})["id"];
  auto first = ChatHarness::message(room_, 2, "the first");
  chat_.publish_message(first);
  chat_.wait_stored(1);
  // A stream message id the window has not seen stands for a publish after the window.
  auto publish_late = [&](json m) {
    const std::string subject = "chat.room." + m["roomId"].get<std::string>() + ".message";
    auto published = chat_.nats().publish_durable(subject, m.dump(), "late-" + new_uuid());
    ASSERT_TRUE(published) << published.error().message;
  };
  json thief = ChatHarness::message(other_room, 7, "another message, the same id");
  thief["id"] = first["id"];
  publish_late(thief);
  json retry = first;
  publish_late(retry);
  chat_.publish_message(ChatHarness::message(other_room, 7, "after them"));
  chat_.wait_stored(2);
  ASSERT_TRUE(dead_lettered(chat_, 1)) << chat_.dead_lettered();
  auto reasons = dead_letter_reasons(chat_.nats(), 1);
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_NE(reasons[0].find("already used by another message"), std::string::npos) << reasons[0];
  EXPECT_EQ(count_messages(), "2");
  EXPECT_EQ(chat_.scalar("SELECT content || ' in ' || room_id FROM chat_messages WHERE id = '" +
                         first["id"].get<std::string>() + "'"),
            "the first in " + room_);
}

TEST_F(JetStreamTest, TwoPersistersShareTheWorkAndStoreEachMessageOnce) {
  service::MessagePersister second(chat_.nats(), chat_.db().url(), service::PersisterOptions{});
  ASSERT_TRUE(second.start());
  for (int i = 0; i < 2000; ++i) chat_.publish_message(ChatHarness::message(room_, 1 + i % 3, "shared " + std::to_string(i)));
  // Wait until both together stored all; the harness only counts its own persister's rows.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (count_messages() != "2000" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  second.stop();
  EXPECT_EQ(count_messages(), "2000");
  EXPECT_EQ(chat_.scalar("SELECT count(DISTINCT id) FROM chat_messages WHERE type <> 'SYSTEM'"), "2000");
}

// Collects what is published on `subject` (notify.push.* by default).
class PushInbox {
 public:
  explicit PushInbox(bus::NatsClient& nats, const std::string& subject = "notify.push.*") {
    auto sub = nats.subscribe(subject, "", [this](bus::MsgPtr msg) {
      std::lock_guard lock(mutex_);
      pushes_.push_back(json::parse(bus::payload(msg.get())));
      changed_.notify_all();
    });
    EXPECT_TRUE(sub);
    if (sub) sub_.emplace(std::move(*sub));
  }
  std::vector<json> wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(30), [&] { return pushes_.size() >= count; });
    return pushes_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<json> pushes_;
  std::optional<bus::Subscription> sub_;
};

TEST_F(JetStreamTest, NotifyPushesOncePerMessageToOfflineMembersOnly) {
  PushInbox inbox(chat_.nats());
  notify::Notifier notifier(chat_.nats(), chat_.db().url());
  ASSERT_TRUE(notifier.start());
  // User 3 has an online socket somewhere.
  ASSERT_TRUE(chat_.nats().publish("chat.user.3.presence", R"({"userId":3,"status":"online","at":"2026-11-25T00:00:00Z"})"));
  ASSERT_TRUE(chat_.nats().flush(std::chrono::seconds(5)));

  auto first = ChatHarness::message(room_, 1, "tee time moved to 8");
  chat_.publish_message(first);
  chat_.publish_message(first);  // a duplicate publish
  auto second = ChatHarness::message(room_, 2, "ok");
  chat_.publish_message(second);
  // Expected: user 2 for the first message, user 1 for the second; never user 3, never the sender.
  auto pushes = inbox.wait_for(2);
  notifier.stop();
  ASSERT_EQ(pushes.size(), 2u);
  std::set<std::pair<std::int64_t, std::string>> got;
  for (const auto& p : pushes) {
    got.insert({p["userId"].get<std::int64_t>(), p["messageId"].get<std::string>()});
    EXPECT_EQ(p["roomId"], room_);
  }
  EXPECT_EQ(got, (std::set<std::pair<std::int64_t, std::string>>{{2, first["id"]}, {1, second["id"]}}));
  EXPECT_EQ(pushes[0]["preview"], "tee time moved to 8");
  EXPECT_EQ(pushes[0]["senderName"], "user 1");
}

TEST_F(JetStreamTest, ANotifierStartedAfterItsUsersCameOnlineLearnsThemFromTheirGateway) {
  // A gateway process whose user 3 came online before any notifier listened: its presence
  // event is gone; the process answers a notifier's question with its list.
  const std::string gateway_id = new_uuid();
  gateway::UserDirectory users(4, nullptr);
  users.add(3, {0, "socket-of-3"});
  gateway::PresenceAnnouncer announcer(chat_.nats(), users, gateway_id, std::chrono::hours(1));  // only when asked
  ASSERT_TRUE(announcer.start());
  ASSERT_TRUE(chat_.nats().flush(std::chrono::seconds(5)));
  PushInbox lists(chat_.nats(), chat::gateway_online_subject(gateway_id));
  PushInbox notices(chat_.nats(), chat::gateway_notification_subject(gateway_id));
  PushInbox pushes(chat_.nats());
  ASSERT_TRUE(chat_.nats().flush(std::chrono::seconds(5)));

  notify::Notifier notifier(chat_.nats(), chat_.db().url(), "chat-notify-late");
  ASSERT_TRUE(notifier.start());
  auto list = lists.wait_for(1);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["userIds"], json::array({3}));

  auto message = ChatHarness::message(room_, 1, "starting on hole 3");
  chat_.publish_message(message);
  // User 3 gets the live notice through its gateway, not a push; user 2 (offline) gets a push.
  auto notice = notices.wait_for(1);
  ASSERT_EQ(notice.size(), 1u);
  EXPECT_EQ(notice[0]["userIds"], json::array({3}));
  EXPECT_EQ(notice[0]["message"]["id"], message["id"]);
  // And one from user 2: a push for user 1. A push for user 3 would come in between.
  auto reply = ChatHarness::message(room_, 2, "on my way");
  chat_.publish_message(reply);
  auto pushed = pushes.wait_for(2);
  notifier.stop();
  ASSERT_EQ(pushed.size(), 2u);
  EXPECT_EQ(pushed[0]["userId"], 2);
  EXPECT_EQ(pushed[1]["userId"], 1);
  EXPECT_EQ(pushed[1]["messageId"], reply["id"]);
}

}  // namespace
}  // namespace parkchat::testing
