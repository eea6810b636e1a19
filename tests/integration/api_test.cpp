// The REST API over real HTTP, in front of the real service, NATS and PostgreSQL.

#include <arpa/inet.h>
#include <jwt.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "core/base/uuid.hpp"
#include "core/embedded/nats_server.hpp"
#include "daemon/api/rest_routes.hpp"
#include "tests/support/api_harness.hpp"

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
