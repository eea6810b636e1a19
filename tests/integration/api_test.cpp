// The REST API over real HTTP, in front of the real service, NATS and PostgreSQL.

#include <arpa/inet.h>
#include <jwt.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "core/auth/token.hpp"
#include "core/base/uuid.hpp"
#include "core/embedded/nats_server.hpp"
#include "daemon/api/rest_routes.hpp"
#include "tests/support/api_harness.hpp"
#include "tests/support/serve_process.hpp"

namespace parkchat::testing {
namespace {

using nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  // A GROUP room of user 1 with users 2 and 3.
  std::string group() {
    auto r = api_.api("POST", "/rooms", 1, R"({"type":"GROUP","name":"Sunday","participant_ids":[2,3]})");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()["data"].value("id", "");
  }

  ApiHarness api_;
};

std::string hand_signed(const char* claims, jwt_alg_t alg, const char* key) {
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  jwt_add_grants_json(jwt, claims);
  jwt_set_alg(jwt, alg, alg == JWT_ALG_NONE ? nullptr : reinterpret_cast<const unsigned char*>(key),
              alg == JWT_ALG_NONE ? 0 : static_cast<int>(strlen(key)));
  char* out = jwt_encode_str(jwt);
  std::string token = out;
  free(out);
  jwt_free(jwt);
  return token;
}

TEST_F(ApiTest, EveryRouteAnswersWithTheEnvelopeAndItsStatus) {
  auto created = api_.api("POST", "/rooms", 1, R"({"type":"DIRECT","participant_ids":[2]})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string direct = created.json()["data"]["id"];
  auto again = api_.api("POST", "/rooms", 2, R"({"type":"direct","participantIds":[1]})");
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.json()["data"]["id"], direct);

  const std::string room = group();
  auto list = api_.api("GET", "/rooms", 1);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json()["success"], true);
  EXPECT_EQ(list.json()["data"].size(), 2u);
  EXPECT_EQ(api_.api("GET", "/rooms/" + room, 2).status, 200);

  auto added = api_.api("POST", "/rooms/" + room + "/members", 1, R"({"user_ids":[4],"user_names":["Dee"]})");
  EXPECT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.json()["data"]["members"].size(), 4u);
  EXPECT_EQ(api_.api("DELETE", "/rooms/" + room + "/members/4", 1).status, 200);

  const std::string id = new_uuid();
  const std::string body = R"({"id":")" + id + R"(","content":"tee at 7","message_type":"TEXT"})";
  auto sent = api_.api("POST", "/rooms/" + room + "/messages", 2, body);
  ASSERT_EQ(sent.status, 201) << sent.body;
  EXPECT_EQ(sent.json()["data"]["senderId"], 2);
  EXPECT_EQ(sent.json()["data"]["senderName"], "user 2");
  auto resent = api_.api("POST", "/rooms/" + room + "/messages", 2, body);
  EXPECT_EQ(resent.status, 200);
  EXPECT_EQ(resent.json()["duplicate"], true);
  auto minted = api_.api("POST", "/rooms/" + room + "/messages", 2, R"({"content":"no id given"})");
  EXPECT_EQ(minted.status, 201);
  EXPECT_TRUE(is_uuid(minted.json()["data"].value("id", "")));

  auto page = api_.api("GET", "/rooms/" + room + "/messages?limit=1", 3);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.json()["data"]["messages"].size(), 1u);
  EXPECT_EQ(page.json()["data"]["hasMore"], true);
  auto next = api_.api("GET", "/rooms/" + room + "/messages?limit=1&cursor=" +
                                  page.json()["data"]["nextCursor"].get<std::string>(), 3);
  EXPECT_EQ(next.json()["data"]["messages"][0]["id"], id);

  auto unread = api_.api("GET", "/unread-count", 3);
  ASSERT_EQ(unread.status, 200);
  EXPECT_EQ(unread.json()["data"]["total"], 2);
  auto read = api_.api("POST", "/rooms/" + room + "/read", 3, R"({"messageId":")" + id + R"("})");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.json()["data"]["unreadCount"], 1);
  EXPECT_EQ(api_.api("DELETE", "/rooms/" + room + "/leave", 3).status, 200);
  EXPECT_EQ(api_.api("GET", "/rooms/" + room, 3).status, 404);
}

TEST_F(ApiTest, TheUserComesFromTheTokenNeverFromTheBody) {
  auto created = api_.api("POST", "/rooms", 1, R"({"type":"GROUP","participant_ids":[2],"userId":99,"user_id":98})");
  ASSERT_EQ(created.status, 201);
  const json room_json = created.json();
  for (const auto& m : room_json["data"]["members"]) {
    EXPECT_NE(m["userId"], 99);
    if (m["userId"] == 1) {
      EXPECT_EQ(m["isAdmin"], true);
    }
  }
  const std::string room = created.json()["data"]["id"];
  auto sent = api_.api("POST", "/rooms/" + room + "/messages", 2, R"({"content":"hi","senderId":1})");
  EXPECT_EQ(sent.json()["data"]["senderId"], 2);
}

TEST_F(ApiTest, AuthFailuresAre401AndHarmless) {
  const std::string path = std::string(api::kPrefix) + "/rooms";
  const std::string other = hand_signed(R"({"userId":4})", JWT_ALG_HS256, "another-secret");
  const std::string none = hand_signed(R"({"userId":4})", JWT_ALG_NONE, "");
  const std::string expired = hand_signed(R"({"userId":4,"exp":1000})", JWT_ALG_HS256, kApiSecret);
  const std::string anonymous = hand_signed(R"({"name":"x"})", JWT_ALG_HS256, kApiSecret);
  const std::vector<Headers> cases = {
      {},
      {{"Authorization", "Basic dXNlcjpwYXNz"}},
      {{"Authorization", "Bearer"}},
      {{"Authorization", "Bearer not.a.jwt"}},
      {{"Authorization", "Bearer " + other}},
      {{"Authorization", "Bearer " + none}},
      {{"Authorization", "Bearer " + expired}},
      {{"Authorization", "Bearer " + anonymous}},
      {{"Authorization", "Bearer " + std::string(10000, 'x')}},  // past the token cap
  };
  for (const auto& headers : cases) {
    auto r = http_request(api_.port(), "GET", path, "", headers);
    EXPECT_EQ(r.status, 401) << (headers.empty() ? "no header" : headers[0].second.substr(0, 40)) << " " << r.error;
    EXPECT_EQ(r.code(), "UNAUTHORIZED") << r.body;
  }
  // Past the header limit, the HTTP layer itself answers 431 before any parsing.
  auto huge = http_request(api_.port(), "GET", path, "", {{"Authorization", "Bearer " + std::string(20000, 'x')}});
  EXPECT_EQ(huge.status, 431) << huge.error;
  EXPECT_EQ(api_.get("/healthz").status, 200);
  EXPECT_EQ(api_.api("GET", "/rooms", 1).status, 200);
}

TEST_F(ApiTest, BadInputIsAValidationError) {
  const std::string room = group();
  auto bad_json = api_.api("POST", "/rooms", 1, "{\"type\":");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.code(), "VALIDATION");
  EXPECT_EQ(api_.api("POST", "/rooms", 1, "[1,2]").status, 400);
  auto bad_type = api_.api("POST", "/rooms", 1, R"({"type":"CHANNEL","participant_ids":[2]})");
  EXPECT_EQ(bad_type.status, 400);
  EXPECT_EQ(bad_type.code(), "VALIDATION");
  EXPECT_EQ(api_.api("GET", "/rooms/" + room + "/messages?limit=many", 1).status, 400);
  EXPECT_EQ(api_.api("POST", "/rooms/" + room + "/messages", 1, R"({"content":""})").status, 400);
  EXPECT_EQ(api_.api("POST", "/rooms/" + room + "/read", 1, "{}").status, 400);
  auto huge = api_.api("POST", "/rooms/" + room + "/messages", 1,
                       R"({"content":")" + std::string(70 * 1024, 'a') + R"("})");
  EXPECT_EQ(huge.status, 413);
  EXPECT_EQ(huge.code(), "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(api_.api("GET", "/nowhere", 1).status, 404);
}

// Sends `request` as raw bytes and returns the status line of the answer.
std::string raw_status_line(int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<unsigned short>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "no connection";
  (void)::write(fd, request.data(), request.size());
  std::string answer;
  char buffer[1024];
  pollfd p{fd, POLLIN, 0};
  while (answer.find("\r\n") == std::string::npos && ::poll(&p, 1, 5000) == 1) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer.substr(0, answer.find("\r\n"));
}

// What a hostile client sent and got 201 or 500 for: each refused with a code, and a bystander
// in another room who keeps chatting loses nothing.
TEST_F(ApiTest, HostileInputIsRefusedWithACode) {
  const std::string room = group();
  auto bystander_room = api_.api("POST", "/rooms", 7, R"({"type":"GROUP","name":"bystanders","participant_ids":[8]})");
  ASSERT_EQ(bystander_room.status, 201);
  const std::string other = bystander_room.json()["data"]["id"];
  int bystander_sent = 0;
  auto bystander_says = [&] {
    auto r = api_.api("POST", "/rooms/" + other + "/messages", 7, R"({"content":"still here )" +
                                                                        std::to_string(bystander_sent) + R"("})");
    EXPECT_EQ(r.status, 201) << r.body;
    ++bystander_sent;
  };
  auto expect_validation = [&](const HttpResult& r, const char* what) {
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_EQ(r.code(), "VALIDATION") << what;
    bystander_says();
  };

  // NUL and the other C0 controls: PostgreSQL cannot store a NUL, so nothing may acknowledge one.
  expect_validation(api_.api("POST", "/rooms/" + room + "/messages", 1, R"({"content":"a\u0000b"})"), "NUL content");
  expect_validation(api_.api("POST", "/rooms/" + room + "/messages", 1, R"({"content":"bell\u0007"})"), "BEL content");
  expect_validation(api_.api("POST", "/rooms", 1, R"({"type":"GROUP","name":"a\u0000b","participant_ids":[2]})"),
                    "NUL room name");
  expect_validation(api_.api("POST", "/rooms", 1,
                             R"({"type":"GROUP","name":"ok","participant_ids":[2],"member_names":["K\u0000m"]})"),
                    "NUL member name");
  expect_validation(api_.api("POST", "/rooms", 1,
                             R"({"type":"GROUP","name":")" + std::string(101, 'n') + R"(","participant_ids":[2]})"),
                    "a room name of 101 characters");
  auto tabs = api_.api("POST", "/rooms/" + room + "/messages", 1, R"({"content":"tee\ttime\r\nat 7 \u200f"})");
  EXPECT_EQ(tabs.status, 201) << tabs.body;

  // Out-of-range cursors and limits.
  const std::string messages = "/rooms/" + room + "/messages";
  expect_validation(api_.api("GET", messages + "?cursor=9999999999999999999_" + new_uuid(), 1), "cursor past 9999");
  expect_validation(api_.api("GET", messages + "?limit=0", 1), "limit 0");
  expect_validation(api_.api("GET", messages + "?limit=101", 1), "limit 101");
  EXPECT_EQ(api_.api("GET", messages + "?limit=100", 1).status, 200);

  // Exact routing: the prefix is /api/user/chat/, not any path that starts with its letters.
  auto near_miss = http_request(api_.port(), "GET", "/api/user/chatrooms", "",
                                {{"Authorization", "Bearer " + ApiHarness::token(1)}});
  EXPECT_EQ(near_miss.status, 404) << near_miss.body;
  EXPECT_EQ(near_miss.code(), "NOT_FOUND");

  // A chunked body, which websocketpp would read as empty: 411.
  const std::string chunked = "POST /api/user/chat/rooms/" + room + "/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Authorization: Bearer " + ApiHarness::token(1) + "\r\n"
                              "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "12\r\n{\"content\":\"hi!\"}\r\n0\r\n\r\n";
  EXPECT_EQ(raw_status_line(api_.port(), chunked).substr(0, 12), "HTTP/1.1 411");
  bystander_says();

  // A token's name is the platform's: cleaned and cut to 100 characters, never a 500.
  const std::string long_name = ApiHarness::token(9, "Pa\x01rk" + std::string(5000, 'x'));
  auto created = http_request(api_.port(), "POST", "/api/user/chat/rooms",
                              R"({"type":"GROUP","name":"long names","participant_ids":[2]})",
                              {{"Authorization", "Bearer " + long_name}, {"Content-Type", "application/json"}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string named = created.json()["data"]["id"];
  auto members = created.json()["data"]["members"];
  bool found = false;
  for (const auto& m : members) {
    if (m.value("userId", 0) == 9) {
      EXPECT_EQ(m.value("userName", ""), "Park" + std::string(96, 'x'));
      found = true;
    }
  }
  EXPECT_TRUE(found) << created.body;
  auto left = http_request(api_.port(), "DELETE", "/api/user/chat/rooms/" + named + "/leave", "",
                           {{"Authorization", "Bearer " + long_name}, {"Content-Type", "application/json"}});
  EXPECT_EQ(left.status, 200) << left.body;

  // Nothing stored for the refused, everything for the bystander.
  auto history = api_.api("GET", messages + "?limit=100", 1);
  ASSERT_EQ(history.status, 200);
  const auto history_json = history.json();
  for (const auto& m : history_json["data"]["messages"]) {
    EXPECT_EQ(m.value("content", "").find('\0'), std::string::npos);
  }
  auto theirs = api_.api("GET", "/rooms/" + other + "/messages?limit=100", 8);
  ASSERT_EQ(theirs.status, 200) << theirs.body;
  int kept = 0;
  const auto theirs_json = theirs.json();
  for (const auto& m : theirs_json["data"]["messages"]) kept += m.value("content", "").rfind("still here ", 0) == 0;
  EXPECT_EQ(kept, bystander_sent) << theirs.body;
}

// A BOOKING room belongs to its booking: an end user cannot make one (squatting a booking id,
// or learning whether it has a room), its participants cannot leave or be changed, and the
// booking system's service token makes one with the participants alone.
TEST_F(ApiTest, BookingRoomsBelongToBookings) {
  const std::string service = *auth::mint_token({0, "", true}, kApiSecret, std::chrono::hours(1));
  auto as_service = [&](const std::string& method, const std::string& path, const std::string& body = "") {
    return http_request(api_.port(), method, std::string(api::kPrefix) + path, body,
                        {{"Authorization", "Bearer " + service}, {"Content-Type", "application/json"}});
  };
  auto made = as_service("POST", "/rooms", R"({"type":"BOOKING","booking_id":501,"name":"Tee 7:00","participant_ids":[1,2]})");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string room = made.json()["data"]["id"];
  std::vector<std::int64_t> members;
  const auto made_json = made.json();
  for (const auto& m : made_json["data"]["members"]) members.push_back(m.value("userId", 0));
  std::sort(members.begin(), members.end());
  EXPECT_EQ(members, (std::vector<std::int64_t>{1, 2}));

  // The same refusal whether the booking has a room (501) or not (502).
  auto squat_taken = api_.api("POST", "/rooms", 3, R"({"type":"BOOKING","booking_id":501,"name":"mine","participant_ids":[1]})");
  auto squat_free = api_.api("POST", "/rooms", 3, R"({"type":"BOOKING","booking_id":502,"name":"mine","participant_ids":[1]})");
  EXPECT_EQ(squat_taken.status, 403) << squat_taken.body;
  EXPECT_EQ(squat_taken.code(), "FORBIDDEN");
  EXPECT_EQ(squat_taken.body, squat_free.body);

  auto leave = api_.api("DELETE", "/rooms/" + room + "/leave", 2);
  EXPECT_EQ(leave.status, 403) << leave.body;
  EXPECT_EQ(api_.api("POST", "/rooms/" + room + "/members", 1, R"({"user_ids":[3]})").status, 403);
  EXPECT_EQ(api_.api("GET", "/rooms/" + room, 2).status, 200);

  // The service token is no user: every other route refuses it.
  EXPECT_EQ(as_service("GET", "/rooms").status, 403);
  EXPECT_EQ(as_service("POST", "/rooms/" + room + "/messages", R"({"content":"hi"})").status, 403);
  EXPECT_EQ(as_service("POST", "/rooms", R"({"type":"GROUP","name":"x","participant_ids":[1,2]})").status, 403);
}

TEST_F(ApiTest, ARoomOfOthersIsNotFoundOnEveryRoomRoute) {
  const std::string room = group();
  const std::string message = R"({"messageId":")" + new_uuid() + R"("})";
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/rooms/" + room},
      {"DELETE", "/rooms/" + room + "/leave"},
      {"POST", "/rooms/" + room + "/members"},
      {"DELETE", "/rooms/" + room + "/members/2"},
      {"GET", "/rooms/" + room + "/messages"},
      {"POST", "/rooms/" + room + "/messages"},
      {"POST", "/rooms/" + room + "/read"},
  };
  for (const auto& [method, path] : routes) {
    const std::string body = path.find("/members") != std::string::npos && method == "POST" ? R"({"user_ids":[9]})"
                             : path.find("/messages") != std::string::npos ? R"({"content":"hi"})"
                             : path.find("/read") != std::string::npos     ? message
                                                                           : "";
    auto stranger = api_.api(method, path, 9, body);
    EXPECT_EQ(stranger.status, 404) << method << " " << path << " " << stranger.body;
    EXPECT_EQ(stranger.code(), "NOT_FOUND");
    auto missing = api_.api(method, "/rooms/" + new_uuid() + path.substr(7 + 36), 9, body);
    EXPECT_EQ(missing.status, 404) << method << " " << path;
  }
}

TEST_F(ApiTest, ForbiddenAndConflictHaveTheirStatus) {
  const std::string room = group();
  auto not_admin = api_.api("POST", "/rooms/" + room + "/members", 2, R"({"user_ids":[7]})");
  EXPECT_EQ(not_admin.status, 403);
  EXPECT_EQ(not_admin.code(), "FORBIDDEN");
  const std::string id = new_uuid();
  ASSERT_EQ(api_.api("POST", "/rooms/" + room + "/messages", 2, R"({"id":")" + id + R"(","content":"a"})").status, 201);
  auto stolen = api_.api("POST", "/rooms/" + room + "/messages", 3, R"({"id":")" + id + R"(","content":"b"})");
  EXPECT_EQ(stolen.status, 409);
  EXPECT_EQ(stolen.code(), "CONFLICT");
}

TEST_F(ApiTest, ARestMessageIsPublishedOnItsRoomSubject) {
  const std::string room = group();
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<json> seen;
  auto sub = api_.chat().nats().subscribe("chat.room." + room + ".message", "", [&](bus::MsgPtr msg) {
    std::lock_guard lock(mutex);
    seen.push_back(json::parse(bus::payload(msg.get())));
    arrived.notify_all();
  });
  ASSERT_TRUE(sub);
  ASSERT_TRUE(api_.chat().nats().flush(std::chrono::seconds(5)));
  auto sent = api_.api("POST", "/rooms/" + room + "/messages", 2, R"({"content":"via REST"})");
  ASSERT_EQ(sent.status, 201);
  std::unique_lock lock(mutex);
  ASSERT_TRUE(arrived.wait_for(lock, std::chrono::seconds(10), [&] { return !seen.empty(); }));
  EXPECT_EQ(seen[0]["id"], sent.json()["data"]["id"]);
  EXPECT_EQ(seen[0]["content"], "via REST");
}

TEST_F(ApiTest, NoServiceMeans503AtOnce) {
  const std::string room = group();
  api_.chat().stop_service();
  auto started = std::chrono::steady_clock::now();
  auto r = api_.api("GET", "/rooms/" + room, 1);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.code(), "UNAVAILABLE");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2)) << "no responders is known at once";
  EXPECT_EQ(api_.get("/readyz").status, 503);
  EXPECT_EQ(api_.get("/healthz").status, 200);
}

TEST_F(ApiTest, OperatorEndpointsAnswer) {
  EXPECT_EQ(api_.get("/healthz").json()["status"], "ok");
  auto ready = api_.get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.json()["database"], "ok");
  api_.api("GET", "/rooms", 1);
  auto metrics = api_.get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.content_type.find("text/plain"), std::string::npos);
  EXPECT_NE(metrics.body.find("parkchat_http_requests_total{route=\"GET /rooms\",status=\"200\"} 1"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("parkchat_http_request_duration_seconds_bucket{route=\"GET /rooms\",le=\"+Inf\"} 1"),
            std::string::npos);
  auto stats = api_.get("/stats");
  EXPECT_EQ(stats.status, 200);
  auto figures = stats.json();
  ASSERT_TRUE(figures["streams"].is_array()) << stats.body;
  EXPECT_EQ(figures["streams"][0]["name"], "CHAT_MESSAGES");
  EXPECT_TRUE(figures["streams"][0]["consumers"].contains("chat-service")) << stats.body;
  EXPECT_TRUE(figures["database"].contains("chat_messages")) << stats.body;
  EXPECT_EQ(api_.get("/nothing-here").status, 404);
}

TEST(ApiTimeoutTest, AServiceThatDoesNotAnswerIs503AfterTheTimeout) {
  ApiHarness api(std::chrono::seconds(10), std::chrono::milliseconds(300));
  api.chat().stop_service();
  // Someone takes the request and never answers.
  auto silent = api.chat().nats().subscribe("chat.rooms.list", "", [](bus::MsgPtr) {});
  ASSERT_TRUE(silent);
  ASSERT_TRUE(api.chat().nats().flush(std::chrono::seconds(5)));
  auto r = api.api("GET", "/rooms", 1);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.code(), "UNAVAILABLE");
}

// Waits for a condition of another component's state (no event to wait on); false on timeout.
template <class Predicate>
bool eventually(Predicate predicate, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST(ApiNatsTest, NatsDownIs503AtOnceAndTheApiReconnectsByItself) {
  ScratchDir dir;
  auto run_as = embedded::service_user();
  ASSERT_TRUE(run_as);
  // The server comes back where the API's client expects it; while it is down, the port stays
  // ours, or a server of another test binary could take it and the client would reconnect there.
  ReservedPort nats_port;
  embedded::NatsServerOptions options;
  options.store_dir = dir.path() / "nats";
  options.log_path = (dir.path() / "nats.log").string();
  options.run_as = *run_as;
  options.port = nats_port.port();
  auto nats = embedded::NatsServer::start(options);
  ASSERT_TRUE(nats) << nats.error().message;
  std::unique_ptr<embedded::NatsServer> restarted;  // declared before `api`: outlives it
  ApiHarness api(std::chrono::seconds(10), std::chrono::seconds(5), (*nats)->url());
  ASSERT_EQ(api.api("GET", "/rooms", 1).status, 200);

  (*nats)->stop();
  ASSERT_TRUE(eventually([&] { return !api.chat().nats().connected(); }, std::chrono::seconds(10)));
  auto started = std::chrono::steady_clock::now();
  auto down = api.api("GET", "/rooms", 1);
  EXPECT_EQ(down.status, 503) << down.body;
  EXPECT_EQ(down.code(), "UNAVAILABLE");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));

  auto again = embedded::NatsServer::start(options);
  ASSERT_TRUE(again) << again.error().message;
  restarted = std::move(*again);
  ASSERT_TRUE(eventually([&] { return api.chat().nats().connected(); }, std::chrono::seconds(30)));
  EXPECT_TRUE(eventually([&] { return api.api("GET", "/rooms", 1).status == 200; }, std::chrono::seconds(10)));
}

// Credentials in the NATS URL (a server without auth takes any) and the database URL appear
// nowhere: not in the banner, the log, /stats or /readyz.
TEST(ApiRedactionTest, NoPasswordInAnyOutput) {
  ScratchDatabase db;
  std::string nats = TestStack::get().nats_url();
  nats.insert(nats.find("://") + 3, "kim:n4tspassw0rd@");
  // A list, as for a cluster: each URL's credentials are hidden.
  ServeProcess serve({"--nats-url", nats + ", nats://lee:0therpassw0rd@127.0.0.1:1", "--database-url", db.url(),
                      "--jwt-secret", "redaction-test-secret", "--log-level", "info"});
  ASSERT_FALSE(serve.url().empty()) << serve.log();
  const std::string db_password = db.url().substr(db.url().find(':', 13) + 1, db.url().find('@') - db.url().find(':', 13) - 1);
  ASSERT_FALSE(db_password.empty());
  auto stats = http_request(serve.port(), "GET", "/stats");
  auto ready = http_request(serve.port(), "GET", "/readyz");
  for (const auto& [where, text] : std::vector<std::pair<std::string, std::string>>{
           {"banner", serve.banner()}, {"log", serve.log()}, {"/stats", stats.body}, {"/readyz", ready.body}}) {
    EXPECT_EQ(text.find("n4tspassw0rd"), std::string::npos) << where << ": " << text;
    EXPECT_EQ(text.find("0therpassw0rd"), std::string::npos) << where << ": " << text;
    EXPECT_EQ(text.find(db_password), std::string::npos) << where << ": " << text;
  }
  EXPECT_NE(stats.body.find("kim:***@"), std::string::npos) << stats.body;
  EXPECT_NE(serve.banner().find("kim:***@"), std::string::npos) << serve.banner();
}

TEST(ApiTimeoutTest, ASilentClientIsDroppedAfterTheTimeout) {
  ApiHarness api(std::chrono::milliseconds(500));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<unsigned short>(api.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  // Not a byte: the server must close the connection by itself.
  pollfd p{fd, POLLIN, 0};
  auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(::poll(&p, 1, 10000), 1) << "the connection was not closed";
  char buffer[512];
  while (::read(fd, buffer, sizeof buffer) > 0) {
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  ::close(fd);
  // Everyone else is still served.
  EXPECT_EQ(api.get("/healthz").status, 200);
}

}  // namespace
}  // namespace parkchat::testing
