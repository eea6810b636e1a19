#include "core/auth/token.hpp"

#include <jwt.h>

#include <gtest/gtest.h>

namespace parkchat::auth {
namespace {

constexpr const char* kSecret = "test-secret-of-reasonable-length";
constexpr Micros kNow = 1'800'000'000LL * 1000000;

// A token signed by hand, for claims and algs that mint_token would never produce.
std::string signed_token(const char* claims_json, jwt_alg_t alg = JWT_ALG_HS256, const char* key = kSecret) {
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  jwt_add_grants_json(jwt, claims_json);
  jwt_set_alg(jwt, alg, alg == JWT_ALG_NONE ? nullptr : reinterpret_cast<const unsigned char*>(key),
              alg == JWT_ALG_NONE ? 0 : static_cast<int>(strlen(key)));
  char* out = jwt_encode_str(jwt);
  std::string token = out != nullptr ? out : "";
  free(out);
  jwt_free(jwt);
  return token;
}

TEST(TokenTest, MintedTokensVerify) {
  auto token = mint_token({4, "김철수"}, kSecret, std::chrono::hours(24), kNow);
  ASSERT_TRUE(token) << token.error().message;
  auto identity = verify_token(*token, kSecret, kNow);
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->user_id, 4);
  EXPECT_EQ(identity->name, "김철수");
}

TEST(TokenTest, ANumericSubStandsInForUserId) {
  auto identity = verify_token(signed_token(R"({"sub":"42","name":"Lee"})"), kSecret, kNow);
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_EQ(identity->user_id, 42);
  EXPECT_FALSE(verify_token(signed_token(R"({"sub":"kim"})"), kSecret, kNow));
}

TEST(TokenTest, ExpiryHasSixtySecondsOfLeeway) {
  const std::int64_t now = kNow / 1000000;
  auto just_expired = signed_token(("{\"userId\":4,\"exp\":" + std::to_string(now - 30) + "}").c_str());
  EXPECT_TRUE(verify_token(just_expired, kSecret, kNow));
  auto long_expired = signed_token(("{\"userId\":4,\"exp\":" + std::to_string(now - 61) + "}").c_str());
  auto refused = verify_token(long_expired, kSecret, kNow);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::unauthorized);
  EXPECT_NE(refused.error().message.find("expired"), std::string::npos);
}

TEST(TokenTest, EverythingElseIsRefused) {
  const std::string cases[] = {
      "",                                                          // missing
      "not.a.token",                                               // malformed
      "a.b",                                                       // too few parts
      signed_token(R"({"userId":4})", JWT_ALG_HS256, "another-secret"),  // wrong signature
      signed_token(R"({"userId":4})", JWT_ALG_NONE),               // alg none
      signed_token(R"({"userId":4})", JWT_ALG_HS512),              // another alg, right secret
      signed_token(R"({"name":"nobody"})"),                        // no user id
      signed_token(R"({"userId":-3})"),                            // not a user id
      signed_token(R"({"userId":4,"exp":"tomorrow"})"),            // exp not a number
      std::string(20000, 'a'),                                     // 20 KB of junk
  };
  for (const std::string& token : cases) {
    auto r = verify_token(token, kSecret, kNow);
    ASSERT_FALSE(r) << token.substr(0, 60);
    EXPECT_EQ(r.error().code, Errc::unauthorized);
  }
}

TEST(TokenTest, RefusalsHaveAReasonForMetrics) {
  auto reason = [](const std::string& token) {
    auto r = verify_token(token, kSecret, kNow);
    return r ? std::string("accepted") : std::string(refusal_reason(r.error()));
  };
  EXPECT_EQ(reason(""), "missing");
  EXPECT_EQ(reason("not.a.token"), "invalid");
  EXPECT_EQ(reason(signed_token(R"({"userId":4})", JWT_ALG_HS256, "another-secret")), "invalid");
  EXPECT_EQ(reason(signed_token(R"({"userId":4})", JWT_ALG_HS512)), "algorithm");
  EXPECT_EQ(reason(signed_token(R"({"name":"nobody"})")), "no_user");
  EXPECT_EQ(reason(signed_token(R"({"userId":4,"exp":"tomorrow"})")), "malformed");
  EXPECT_EQ(reason(signed_token(R"({"userId":4,"exp":1})")), "expired");
  EXPECT_EQ(reason(std::string(20000, 'a')), "invalid");
}

TEST(TokenTest, TamperedPayloadIsRefused) {
  auto token = *mint_token({4, "Kim"}, kSecret, std::nullopt, kNow);
  auto other = *mint_token({5, "Kim"}, kSecret, std::nullopt, kNow);
  // Header and signature of one, claims of the other.
  auto first_dot = token.find('.');
  auto second_dot = token.find('.', first_dot + 1);
  auto other_first = other.find('.');
  auto other_second = other.find('.', other_first + 1);
  std::string forged = token.substr(0, first_dot) + other.substr(other_first, other_second - other_first) + token.substr(second_dot);
  EXPECT_FALSE(verify_token(forged, kSecret, kNow));
}

TEST(TokenTest, ParsesDurations) {
  EXPECT_EQ(parse_duration("90s"), std::chrono::seconds(90));
  EXPECT_EQ(parse_duration("30m"), std::chrono::minutes(30));
  EXPECT_EQ(parse_duration("24h"), std::chrono::hours(24));
  EXPECT_EQ(parse_duration("7d"), std::chrono::hours(168));
  EXPECT_EQ(parse_duration("15"), std::chrono::seconds(15));
  for (const char* bad : {"", "h", "-1h", "1y", "1.5h", "0"}) EXPECT_FALSE(parse_duration(bad)) << bad;
}

}  // namespace
}  // namespace parkchat::auth

namespace parkchat::auth {
namespace {

// `parkchat token --service`: no user id, "role":"service"; a user token never becomes one.
TEST(ServiceTokenTest, NeedsNoUserAndSaysWhatItIs) {
  auto minted = mint_token({0, "", true}, "service-secret", std::chrono::hours(1));
  ASSERT_TRUE(minted) << minted.error().message;
  auto identity = verify_token(*minted, "service-secret");
  ASSERT_TRUE(identity) << identity.error().message;
  EXPECT_TRUE(identity->service);
  EXPECT_EQ(identity->user_id, 0);
  auto user = verify_token(*mint_token({4, "Kim"}, "service-secret", std::nullopt), "service-secret");
  ASSERT_TRUE(user);
  EXPECT_FALSE(user->service);
  EXPECT_FALSE(mint_token({0, "nobody"}, "service-secret", std::nullopt)) << "a user token needs a user";
}

// A name from the platform is cleaned, never refused (CONTRACT §2).
TEST(ServiceTokenTest, TokenNamesAreCleanedAndCut) {
  auto token = mint_token({4, "K\x01im" + std::string(300, 'x')}, "s", std::nullopt);
  ASSERT_TRUE(token);
  auto identity = verify_token(*token, "s");
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->name, "Kim" + std::string(97, 'x'));
}

}  // namespace
}  // namespace parkchat::auth
