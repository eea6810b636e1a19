#include "core/proto/engineio.hpp"

#include "core/base/encoding.hpp"

namespace parkchat::proto {

Result<EioPacket> decode_eio_text(std::string_view frame) {
  if (frame.empty()) return fail(Errc::validation, "empty Engine.IO packet");
  const char type = frame.front();
  if (type < '0' || type > '6') {
    return fail(Errc::validation, std::string("unknown Engine.IO packet type '") + type + "'");
  }
  return EioPacket{static_cast<EioType>(type - '0'), std::string(frame.substr(1)), false};
}

std::string encode_eio_text(const EioPacket& packet) {
  std::string out;
  out.reserve(packet.data.size() + 1);
  out.push_back(static_cast<char>('0' + static_cast<int>(packet.type)));
  out += packet.data;
  return out;
}

Result<std::vector<EioPacket>> decode_eio_payload(std::string_view body) {
  std::vector<EioPacket> packets;
  std::size_t at = 0;
  while (at <= body.size()) {
    std::size_t end = body.find(kRecordSeparator, at);
    std::string_view one = body.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    if (!one.empty() && one.front() == 'b') {
      auto bytes = base64_decode(one.substr(1));
      if (!bytes) return fail(Errc::validation, "binary Engine.IO packet is not valid base64");
      packets.push_back({EioType::message, std::move(*bytes), true});
    } else {
      auto packet = decode_eio_text(one);
      if (!packet) return tl::unexpected(packet.error());
      packets.push_back(std::move(*packet));
    }
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return packets;
}

std::string encode_eio_payload(const std::vector<EioPacket>& packets) {
  std::string out;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    if (i > 0) out.push_back(kRecordSeparator);
    if (packets[i].binary) {
      out.push_back('b');
      out += base64_encode(packets[i].data);
    } else {
      out += encode_eio_text(packets[i]);
    }
  }
  return out;
}


}  // namespace parkchat::proto
