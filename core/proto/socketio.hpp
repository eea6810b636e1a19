#pragma once
// Socket.IO protocol 5 packets, carried in Engine.IO messages. Pure, no I/O.
//
//   <type>[<attachments>-][<namespace>,][<ack id>][<JSON>]
//   0/chat,{"token":"…"}              CONNECT to /chat with auth
//   2/chat,12["join_room",{"roomId":"…"}]   EVENT with ack id 12
//   3/chat,12[{"success":true}]       ACK of 12
//   4/chat,{"message":"Unauthorized"} CONNECT_ERROR
//   51-["upload",{"_placeholder":true,"num":0}]  BINARY_EVENT followed by one binary attachment

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/error.hpp"

namespace parkchat::proto {

enum class SioType { connect = 0, disconnect = 1, event = 2, ack = 3, connect_error = 4, binary_event = 5, binary_ack = 6 };

struct SioPacket {
  SioType type = SioType::event;
  std::string nsp = "/";
  std::optional<std::uint64_t> id;     // acknowledgement id
  std::optional<nlohmann::json> data;  // absent, or the JSON payload
  int attachments = 0;                 // binary packets: how many binary frames follow
};

// The largest ack id accepted: JavaScript's Number.MAX_SAFE_INTEGER.
constexpr std::uint64_t kMaxAckId = 9007199254740991ULL;

// Decodes and checks a packet: CONNECT data is an object; EVENT data a non-empty array led by
// an event name; ACK data an array; CONNECT_ERROR an object or string. VALIDATION otherwise.
Result<SioPacket> decode_sio(std::string_view text);
// Encodes a packet (binary packets: with their placeholders already in data).
std::string encode_sio(const SioPacket& packet);

// An EVENT on `nsp`: ["name", args...], serialized once for any number of recipients.
std::string encode_event(std::string_view nsp, std::string_view name, const nlohmann::json& argument);

// Binary packets: replaces {"_placeholder":true,"num":i} in data by attachment i (as a JSON
// binary value); VALIDATION for a bad or out-of-range placeholder.
Result<nlohmann::json> reconstruct(const nlohmann::json& data, const std::vector<std::string>& attachments);
// The reverse: moves every binary value of data into attachments, leaving placeholders.
nlohmann::json deconstruct(const nlohmann::json& data, std::vector<std::string>& attachments);

// Event names the protocol reserves; a client may not emit them.
bool is_reserved_event(std::string_view name);

}  // namespace parkchat::proto
