#include "core/proto/socketio.hpp"

#include <gtest/gtest.h>

#include "core/proto/bounded_json.hpp"

namespace parkchat::proto {
namespace {

using nlohmann::json;

TEST(SocketIoTest, DecodesConnectWithAndWithoutAuth) {
  auto main = decode_sio("0");
  ASSERT_TRUE(main);
  EXPECT_EQ(main->type, SioType::connect);
  EXPECT_EQ(main->nsp, "/");
  EXPECT_FALSE(main->data);
  auto chat = decode_sio("0/chat,{\"token\":\"abc\"}");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->nsp, "/chat");
  EXPECT_EQ((*chat->data)["token"], "abc");
  EXPECT_EQ(encode_sio(*chat), "0/chat,{\"token\":\"abc\"}");
  EXPECT_EQ(decode_sio("0/chat")->nsp, "/chat");  // no trailing comma
}

TEST(SocketIoTest, DecodesEventsWithAckIds) {
  auto p = decode_sio("2/chat,12[\"join_room\",{\"roomId\":\"r\"}]");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, SioType::event);
  EXPECT_EQ(p->id, 12u);
  EXPECT_EQ((*p->data)[0], "join_room");
  EXPECT_EQ(encode_sio(*p), "2/chat,12[\"join_room\",{\"roomId\":\"r\"}]");
  auto root = decode_sio("2[\"hello\",1,2]");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->nsp, "/");
  EXPECT_FALSE(root->id);
  auto ack = decode_sio("3/chat,7[{\"success\":true}]");
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->type, SioType::ack);
  EXPECT_EQ(ack->id, 7u);
}

TEST(SocketIoTest, RefusesMalformedPackets) {
  for (const char* bad : {"", "7", "x", "2", "2{}", "2[]", "2[1]", "2[\"ev\"", "0/chat,[1]", "0/chat,\"x\"",
                          "3/chat,[1]", "3/chat,1{}", "4/chat,1", "1/chat,{}", "5[\"ev\"]", "5x-[\"ev\"]",
                          "299999999999999999999[\"ev\"]", "2/chat,12[\"ev\"]junk"}) {
    EXPECT_FALSE(decode_sio(bad)) << bad;
  }
}

TEST(SocketIoTest, EncodesAnEventOnce) {
  EXPECT_EQ(encode_event("/chat", "new_message", json{{"id", "m1"}}), "2/chat,[\"new_message\",{\"id\":\"m1\"}]");
  EXPECT_EQ(encode_event("/", "hi", json::array({1})), "2[\"hi\",[1]]");
  auto back = decode_sio(encode_event("/chat", "typing", json{{"isTyping", true}}));
  ASSERT_TRUE(back);
  EXPECT_EQ((*back->data)[1]["isTyping"], true);
}

TEST(SocketIoTest, BinaryPlaceholdersRoundTrip) {
  auto p = decode_sio("51-/chat,[\"upload\",{\"_placeholder\":true,\"num\":0},\"x\"]");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, SioType::binary_event);
  EXPECT_EQ(p->attachments, 1);
  auto full = reconstruct(*p->data, {std::string("\x01\x02", 2)});
  ASSERT_TRUE(full);
  ASSERT_TRUE((*full)[1].is_binary());
  EXPECT_EQ((*full)[1].get_binary().size(), 2u);
  std::vector<std::string> attachments;
  auto again = deconstruct(*full, attachments);
  EXPECT_EQ(again, *p->data);
  ASSERT_EQ(attachments.size(), 1u);
  EXPECT_EQ(attachments[0], std::string("\x01\x02", 2));
  EXPECT_FALSE(reconstruct(*p->data, {}));  // placeholder without its attachment
}

TEST(SocketIoTest, KnowsTheReservedEventNames) {
  EXPECT_TRUE(is_reserved_event("connect"));
  EXPECT_TRUE(is_reserved_event("disconnecting"));
  EXPECT_FALSE(is_reserved_event("send_message"));
}

}  // namespace
}  // namespace parkchat::proto

namespace parkchat::proto {
namespace {

TEST(BoundedJson, MeasuresNestingOutsideStrings) {
  EXPECT_EQ(json_nesting_depth(R"({"a":[1,{"b":2}]})"), 3u);
  EXPECT_EQ(json_nesting_depth(R"(["[[[[", "\"[{"])"), 1u);
  EXPECT_EQ(json_nesting_depth("42"), 0u);
}

TEST(BoundedJson, RefusesDeepNestingBeforeParsing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_TRUE(parse_bounded_json(deep).is_discarded());
  const std::string fine = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_FALSE(parse_bounded_json(fine).is_discarded());
  EXPECT_TRUE(parse_bounded_json("{").is_discarded());
}

TEST(BoundedJson, DeeplyNestedSocketIoPacketsAreInvalid) {
  const std::string nested = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_FALSE(decode_sio("0/chat,{\"token\":\"x\",\"y\":" + nested + "}"));
  EXPECT_FALSE(decode_sio("51-[\"x\"," + nested + "]"));
}

}  // namespace
}  // namespace parkchat::proto
