#include "core/proto/engineio.hpp"

#include <gtest/gtest.h>

#include "core/base/encoding.hpp"

namespace parkchat::proto {
namespace {

TEST(EngineIoTest, DecodesEveryPacketType) {
  const std::pair<const char*, EioType> cases[] = {
      {"0{\"sid\":\"x\"}", EioType::open}, {"1", EioType::close},   {"2", EioType::ping},   {"2probe", EioType::ping},
      {"3probe", EioType::pong},           {"4hello", EioType::message}, {"5", EioType::upgrade}, {"6", EioType::noop},
  };
  for (const auto& [text, type] : cases) {
    auto p = decode_eio_text(text);
    ASSERT_TRUE(p) << text;
    EXPECT_EQ(p->type, type) << text;
    EXPECT_EQ(encode_eio_text(*p), text);
  }
  EXPECT_EQ(decode_eio_text("4")->data, "");
}

TEST(EngineIoTest, RefusesMalformedPackets) {
  for (const char* bad : {"", "7", "9x", "a", "{}", " 4"}) {
    EXPECT_FALSE(decode_eio_text(bad)) << bad;
  }
}

TEST(EngineIoTest, PollingPayloadsSplitOnTheRecordSeparator) {
  auto packets = decode_eio_payload("4hello\x1e" "2\x1e" "bAQID\x1e" "4");
  ASSERT_TRUE(packets);
  ASSERT_EQ(packets->size(), 4u);
  EXPECT_EQ((*packets)[0], (EioPacket{EioType::message, "hello", false}));
  EXPECT_EQ((*packets)[1].type, EioType::ping);
  EXPECT_EQ((*packets)[2], (EioPacket{EioType::message, std::string("\x01\x02\x03"), true}));
  EXPECT_EQ((*packets)[3].data, "");
  EXPECT_EQ(encode_eio_payload(*packets), "4hello\x1e" "2\x1e" "bAQID\x1e" "4");
}

TEST(EngineIoTest, OneBadPacketRefusesThePayload) {
  EXPECT_FALSE(decode_eio_payload("4ok\x1e" "8bad"));
  EXPECT_FALSE(decode_eio_payload("4ok\x1e"));  // an empty last packet
  EXPECT_FALSE(decode_eio_payload("b@@@"));      // not base64
  EXPECT_FALSE(decode_eio_payload(""));
}

TEST(EngineIoTest, Base64RoundTrips) {
  for (std::string bytes : {std::string(""), std::string("a"), std::string("ab"), std::string("abc"),
                            std::string("\x00\xff\x10", 3)}) {
    auto back = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, bytes);
  }
  EXPECT_FALSE(base64_decode("abc"));
}

}  // namespace
}  // namespace parkchat::proto
