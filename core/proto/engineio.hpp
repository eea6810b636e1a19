#pragma once
// Engine.IO protocol 4 packets: the transport layer under Socket.IO. Pure, no I/O.
//
// A packet is a type digit and data: "4hello" is a message. Over WebSocket each frame is one
// packet, and a binary frame is a binary message. Over HTTP long-polling several packets share
// one body, separated by the record separator 0x1e, with binary messages as "b" + base64.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/error.hpp"

namespace parkchat::proto {

enum class EioType { open = 0, close = 1, ping = 2, pong = 3, message = 4, upgrade = 5, noop = 6 };

struct EioPacket {
  EioType type = EioType::message;
  std::string data;
  bool binary = false;  // a binary message (its data are raw bytes)

  bool operator==(const EioPacket& other) const {
    return type == other.type && data == other.data && binary == other.binary;
  }
};

constexpr char kRecordSeparator = '\x1e';

// One packet from a WebSocket text frame ("4hello", "2probe"); VALIDATION when malformed.
Result<EioPacket> decode_eio_text(std::string_view frame);
// The text form of a non-binary packet.
std::string encode_eio_text(const EioPacket& packet);

// The packets of a polling request body; VALIDATION when any is malformed (the whole body is
// refused, as the reference server does).
Result<std::vector<EioPacket>> decode_eio_payload(std::string_view body);
// A polling response body.
std::string encode_eio_payload(const std::vector<EioPacket>& packets);

}  // namespace parkchat::proto
