// The web client served by `serve`: the page and its files compiled in (ETag, revalidated every
// time), never given for an API, Socket.IO or unknown path; `--web-dir` serving a folder; and
// `--dev-login`, which mints tokens only where it was asked for on a loopback address, or by
// default in the embedded setup.

#include <fstream>

#include <gtest/gtest.h>

#include "core/base/encoding.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/run_parkchat.hpp"
#include "tests/support/serve_process.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

constexpr const char* kSecret = "web-app-secret";

std::vector<std::string> serve_args(const ScratchDatabase& db, std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--nats-url", TestStack::get().nats_url(), "--database-url", db.url(), "--jwt-secret",
                                kSecret, "--threads", "1"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(WebApp, ThePageAndItsFilesAreServedWithValidatorsAndNothingElseFallsBackToIt) {
  ScratchDatabase db;
  ServeProcess serve(serve_args(db));
  ASSERT_FALSE(serve.url().empty()) << serve.log();

  const HttpResult page = http_request(serve.port(), "GET", "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<script type=\"importmap\">"), std::string::npos) << page.body;
  // No inline script runs but the import map, named by its hash.
  const std::string policy = page.header("Content-Security-Policy");
  const std::size_t map_start = page.body.find('>', page.body.find("<script type=\"importmap\">")) + 1;
  const std::string import_map = page.body.substr(map_start, page.body.find("</script>", map_start) - map_start);
  EXPECT_NE(policy.find("script-src 'self' 'sha256-" + base64_encode(sha256(import_map)) + "';"), std::string::npos) << policy;
  EXPECT_NE(policy.find("default-src 'self'"), std::string::npos) << policy;
  EXPECT_NE(policy.find("object-src 'none'"), std::string::npos) << policy;
  EXPECT_EQ(http_request(serve.port(), "GET", "/app.js").header("Content-Security-Policy"), "") << "only the page";
  for (const char* file : {"/app.js", "/chat_socket.js", "/chat_api.js", "/strings.js", "/message_id.js",
                           "/vendor/preact.module.js", "/vendor/hooks.module.js", "/vendor/htm.module.js",
                           "/vendor/socket.io.esm.min.js"}) {
    const HttpResult js = http_request(serve.port(), "GET", file);
    EXPECT_EQ(js.status, 200) << file;
    EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8") << file;
  }
  EXPECT_EQ(http_request(serve.port(), "GET", "/style.css").content_type, "text/css; charset=utf-8");

  // Paths that are not the page's stay JSON 404s (or what their owner answers).
  for (const char* path : {"/api/user/chat/nope", "/nope.html", "/rooms/abc", "/vendor/nope.js", "/metricsx"}) {
    const HttpResult other = http_request(serve.port(), "GET", path);
    EXPECT_NE(other.status, 200) << path;
    EXPECT_EQ(other.content_type, "application/json") << path << ": " << other.body;
  }
  EXPECT_EQ(http_request(serve.port(), "GET", "/socket.io/").content_type.find("text/html"), std::string::npos);
  EXPECT_EQ(http_request(serve.port(), "POST", "/").status, 404) << "only GET and HEAD";
  // No dev login here: not the embedded setup, and not asked for.
  EXPECT_EQ(http_request(serve.port(), "POST", "/dev/token", R"({"userId":1})").status, 404);
  EXPECT_EQ(http_request(serve.port(), "GET", "/dev/token").status, 404);
}

TEST(WebApp, AnUnchangedFileIsRevalidatedWithItsETag) {
  ScratchDatabase db;
  ServeProcess serve(serve_args(db));
  ASSERT_FALSE(serve.url().empty()) << serve.log();
  const HttpResult page = http_request(serve.port(), "GET", "/app.js");
  ASSERT_EQ(page.status, 200);
  const std::string etag = page.etag;
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(page.cache_control, "no-cache");
  EXPECT_EQ(http_request(serve.port(), "GET", "/").cache_control, "no-cache") << "index.html too";
  EXPECT_EQ(http_request(serve.port(), "GET", "/app.js", "", {{"If-None-Match", etag}}).status, 304);
  EXPECT_EQ(http_request(serve.port(), "GET", "/app.js", "", {{"If-None-Match", "\"other\""}}).status, 200);
  EXPECT_EQ(http_request(serve.port(), "GET", "/", "", {{"If-None-Match", etag}}).status, 200) << "another file's tag";
}

TEST(WebApp, AWebDirIsServedInsteadOfTheCompiledFiles) {
  ScratchDatabase db;
  ScratchDir dir;
  std::ofstream(dir.path() / "index.html") << "<!doctype html><title>from the folder</title>";
  std::ofstream(dir.path() / "vendor.txt") << "# none\n";
  ServeProcess serve(serve_args(db, {"--web-dir", dir.path().string()}));
  ASSERT_FALSE(serve.url().empty()) << serve.log();
  EXPECT_NE(http_request(serve.port(), "GET", "/").body.find("from the folder"), std::string::npos);
  std::ofstream(dir.path() / "index.html") << "<!doctype html><title>edited</title>";
  EXPECT_NE(http_request(serve.port(), "GET", "/").body.find("edited"), std::string::npos) << "read on every request";
  EXPECT_EQ(http_request(serve.port(), "GET", "/app.js").status, 404) << "only the folder's files";

  ScratchDir empty;
  auto refused = run_parkchat({"serve", "--nats-url", TestStack::get().nats_url(), "--database-url", db.url(),
                               "--jwt-secret", kSecret, "--listen", "127.0.0.1:0", "--web-dir", empty.path().string()});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("has no index.html"), std::string::npos) << refused.err;
}

TEST(WebApp, DevLoginMintsTokensTheApiAcceptsOnlyWhereAskedOnLoopback) {
  ScratchDatabase db;
  ServeProcess serve(serve_args(db, {"--dev-login"}));
  ASSERT_FALSE(serve.url().empty()) << serve.log();
  EXPECT_EQ(http_request(serve.port(), "GET", "/dev/token").status, 200);
  const HttpResult minted = http_request(serve.port(), "POST", "/dev/token", R"({"userId": 42, "name": "김민수"})",
                                         {{"Content-Type", "application/json"}});
  ASSERT_EQ(minted.status, 200) << minted.body;
  const std::string token = minted.json()["data"].value("token", "");
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(http_request(serve.port(), "GET", "/api/user/chat/rooms", "", {{"Authorization", "Bearer " + token}}).status,
            200);
  for (const char* bad : {R"({"userId": 0})", R"({"userId": "42"})", R"({"name": "x"})", R"([1])", "not json",
                          R"({"userId": 1, "name": 7})"}) {
    const HttpResult refused = http_request(serve.port(), "POST", "/dev/token", bad);
    EXPECT_EQ(refused.status, 400) << bad;
    EXPECT_EQ(refused.code(), "VALIDATION") << bad;
  }

  auto exposed = run_parkchat({"serve", "--nats-url", TestStack::get().nats_url(), "--database-url", db.url(),
                               "--jwt-secret", kSecret, "--listen", "0.0.0.0:0", "--dev-login"});
  EXPECT_EQ(exposed.exit_code, 2);
  EXPECT_NE(exposed.err.find("not a loopback address"), std::string::npos) << exposed.err;
}

TEST(WebApp, TheEmbeddedSetupSignsInFromTheBrowserByDefault) {
  ScratchDir dir;
  ServeProcess serve({"--data-dir", (dir.path() / "data").string(), "--threads", "1"});  // a loopback --listen
  ASSERT_FALSE(serve.url().empty()) << serve.log();
  EXPECT_EQ(http_request(serve.port(), "GET", "/dev/token").status, 200);
  EXPECT_EQ(http_request(serve.port(), "GET", "/").status, 200);
}

}  // namespace
}  // namespace parkchat::testing
