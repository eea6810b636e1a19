#include "core/proto/envelope.hpp"

#include <gtest/gtest.h>

#include "core/proto/fields.hpp"

namespace parkchat::proto {
namespace {

TEST(EnvelopeTest, WrapsAndOpensSuccessAndError) {
  auto ok = ok_envelope({{"id", 1}});
  EXPECT_EQ(ok.dump(), R"({"data":{"id":1},"success":true})");
  auto opened = open_envelope(ok);
  ASSERT_TRUE(opened);
  EXPECT_EQ((*opened)["id"], 1);

  auto error = error_envelope({Errc::not_found, "room not found"});
  EXPECT_EQ(error["error"]["code"], "NOT_FOUND");
  auto failed = open_envelope(error);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::not_found);
  EXPECT_EQ(failed.error().message, "room not found");
  EXPECT_FALSE(open_envelope(nlohmann::json::parse("[1]")));
}

// Found by fuzz/fuzz_json_fields: a failure envelope whose fields had other types threw out of
// open_envelope (json::value on a mismatched type), and a reply comes from another process.
TEST(EnvelopeTest, AMalformedFailureIsInternalNotAnException) {
  for (const char* reply : {R"({"success":false,"error":{"code":false,"essage":"x"}})",
                            R"({"success":false,"error":"boom"})", R"({"success":false,"error":{"message":7}})",
                            R"({"success":false})"}) {
    auto opened = open_envelope(nlohmann::json::parse(reply));
    ASSERT_FALSE(opened) << reply;
    EXPECT_EQ(opened.error().code, Errc::internal) << reply;
  }
}

TEST(FieldsTest, AcceptsCamelAndSnakeCase) {
  auto camel = nlohmann::json::parse(R"({"participantIds":[5,"6"]})");
  auto snake = nlohmann::json::parse(R"({"participant_ids":[5,6]})");
  for (const auto& payload : {camel, snake}) {
    auto ids = require_int_list(payload, {"participantIds", "participant_ids"});
    ASSERT_TRUE(ids);
    EXPECT_EQ(*ids, (std::vector<std::int64_t>{5, 6}));
  }
}

// Found by fuzz/fuzz_json_fields: a number past any integer (1e50) was cast to one, which is
// undefined; numbers past int64 are not integers here.
TEST(FieldsTest, HugeNumbersAreNoIntegers) {
  auto payload = nlohmann::json::parse(
      R"({"userId":4,"memberIds":[1,33333333333333333333333333333333333333333333333332,3],"big":18446744073709551615,"f":1e300})");
  EXPECT_FALSE(require_int_list(payload, {"memberIds"}));
  EXPECT_FALSE(require_int(payload, {"big"}));
  EXPECT_FALSE(require_int(payload, {"f"}));
  EXPECT_EQ(*require_int(payload, {"userId"}), 4);
  EXPECT_EQ(*require_int(nlohmann::json::parse(R"({"n":42.0})"), {"n"}), 42);
}

TEST(FieldsTest, NamesTheFieldThatIsWrong) {
  auto payload = nlohmann::json::parse(R"({"userId":"four","roomId":7})");
  auto user = require_int(payload, {"userId"});
  ASSERT_FALSE(user);
  EXPECT_EQ(user.error().code, Errc::validation);
  EXPECT_NE(user.error().message.find("userId"), std::string::npos);
  EXPECT_FALSE(require_string(payload, {"roomId"}));
  auto missing = require_uuid(payload, {"messageId"});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("messageId"), std::string::npos);
  EXPECT_FALSE(require_int(nlohmann::json::parse(R"({"n":1.5})"), {"n"}));
}

}  // namespace
}  // namespace parkchat::proto
