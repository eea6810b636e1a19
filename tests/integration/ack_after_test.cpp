// serve --ack-after stored: a socket's send is acknowledged once its row is committed in
// PostgreSQL, not as soon as the stream has it. Each ack is checked against the database itself;
// while PostgreSQL is unreachable a send is held, then refused UNAVAILABLE (the stream has it,
// history does not yet), and the same id resent after the outage is acknowledged once stored.

#include <gtest/gtest.h>

#include "core/auth/token.hpp"
#include "core/base/uuid.hpp"
#include "core/client/chat_session.hpp"
#include "core/client/http_client.hpp"
#include "core/store/pg_connection.hpp"
#include "tests/support/fault_proxy.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "ack-after-secret";

std::string token_of(std::int64_t user) {
  auto token = auth::mint_token({user, "User " + std::to_string(user)}, kSecret, std::chrono::hours(1));
  return token ? *token : "";
}

bool in_history(const std::string& database_url, const std::string& id) {
  auto conn = store::PgConnection::connect(database_url);
  if (!conn) return false;
  auto rows = conn->exec_params("SELECT 1 FROM chat_messages WHERE id = $1", {id});
  return rows && rows->size() == 1;
}

struct StoredAckDeployment {
  explicit StoredAckDeployment(const ScratchDatabase& db)
      : postgres(database_port(db.url())),
        service({"--nats-url", TestStack::get().nats_url(), "--database-url", with_database_port(db.url(), postgres.port()),
                 "--jwt-secret", kSecret, "--roles", "service,api", "--threads", "1"}),
        gateway({"--nats-url", TestStack::get().nats_url(), "--database-url", db.url(), "--jwt-secret", kSecret, "--roles",
                 "gateway,api", "--threads", "1", "--ack-after", "stored"}) {}
  FaultProxy postgres;  // between the service and PostgreSQL
  ServeProcess service;
  ServeProcess gateway;
};

TEST(AckAfter, AStoredAckMeansTheRowIsCommittedAndAnOutageHoldsThenRefuses) {
  ScratchDatabase db;
  StoredAckDeployment d(db);
  ASSERT_FALSE(d.service.url().empty()) << d.service.log();
  ASSERT_FALSE(d.gateway.url().empty()) << d.gateway.log();
  const HttpResult created =
      http_request(d.gateway.port(), "POST", "/api/user/chat/rooms", R"({"type":"GROUP","name":"Stored","participant_ids":[2]})",
                   {{"Authorization", "Bearer " + token_of(1)}, {"Content-Type", "application/json"}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string room = created.json()["data"].value("id", "");

  auto loop = client::ClientLoop::start();
  auto server = client::parse_server_url(d.gateway.url());
  ASSERT_TRUE(server);
  auto session = client::ChatSession::open(*loop, *server, token_of(1), room, 10s);
  ASSERT_TRUE(session) << session.error().message;

  // Every success is already a row: checked at once, with no wait.
  for (int i = 0; i < 30; ++i) {
    const std::string id = new_uuid();
    auto ack = (*session)->send(id, "stored " + std::to_string(i), "TEXT", 15s);
    ASSERT_TRUE(ack) << ack.error().message;
    EXPECT_TRUE(in_history(db.url(), id)) << "acknowledged before its row was committed: " << id;
  }

  // PostgreSQL unreachable for the services: the stream takes the send, history cannot, so the
  // send is held and then refused, never acknowledged.
  d.postgres.reset_and_refuse(25s);
  const std::string held = new_uuid();
  const auto began = std::chrono::steady_clock::now();
  auto refused = (*session)->send(held, "during the outage", "TEXT", 30s);
  ASSERT_FALSE(refused) << "acknowledged while PostgreSQL was unreachable: " << refused->dump();
  EXPECT_EQ(refused.error().code, Errc::unavailable) << refused.error().message;
  EXPECT_NE(refused.error().message.find("not yet stored"), std::string::npos) << refused.error().message;
  EXPECT_GE(std::chrono::steady_clock::now() - began, 5s) << "held for the commit's patience first";
  EXPECT_FALSE(in_history(db.url(), held));

  // Resent with its id until PostgreSQL is back: then acknowledged once, and stored once.
  Result<nlohmann::json> resent = tl::unexpected(Error{Errc::unavailable, "not resent yet"});
  const auto give_up_at = std::chrono::steady_clock::now() + 90s;
  while (!resent && std::chrono::steady_clock::now() < give_up_at) {
    resent = (*session)->send(held, "during the outage", "TEXT", 30s);
    if (!resent) {
      ASSERT_EQ(resent.error().code, Errc::unavailable) << resent.error().message;
    }
  }
  ASSERT_TRUE(resent) << resent.error().message << "\n" << d.service.log() << d.gateway.log();
  EXPECT_TRUE(resent->value("duplicate", false)) << "the stream had it from the first send: " << resent->dump();
  EXPECT_TRUE(in_history(db.url(), held));
  EXPECT_GT(d.postgres.connections_reset(), 0u);
}

}  // namespace
}  // namespace parkchat::testing
