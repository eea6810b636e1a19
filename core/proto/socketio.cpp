#include "core/proto/socketio.hpp"

#include "core/proto/bounded_json.hpp"

namespace parkchat::proto {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

Result<void> check_payload(const SioPacket& p) {
  const bool has = p.data.has_value();
  switch (p.type) {
    case SioType::connect:
      if (has && !p.data->is_object()) return fail(Errc::validation, "CONNECT payload must be an object");
      return {};
    case SioType::disconnect:
      if (has) return fail(Errc::validation, "DISCONNECT takes no payload");
      return {};
    case SioType::event:
    case SioType::binary_event:
      if (!has || !p.data->is_array() || p.data->empty() || !(*p.data)[0].is_string()) {
        return fail(Errc::validation, "EVENT payload must be an array led by the event name");
      }
      return {};
    case SioType::ack:
    case SioType::binary_ack:
      if (!has || !p.data->is_array()) return fail(Errc::validation, "ACK payload must be an array");
      if (!p.id) return fail(Errc::validation, "ACK needs an id");
      return {};
    case SioType::connect_error:
      if (!has || !(p.data->is_object() || p.data->is_string())) {
        return fail(Errc::validation, "CONNECT_ERROR payload must be an object or a string");
      }
      return {};
  }
  return {};
}

bool is_placeholder(const nlohmann::json& j) {
  return j.is_object() && j.size() == 2 && j.contains("_placeholder") && j["_placeholder"] == true && j.contains("num");
}

}  // namespace

bool is_reserved_event(std::string_view name) {
  for (const char* reserved : {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}) {
    if (name == reserved) return true;
  }
  return false;
}

Result<SioPacket> decode_sio(std::string_view text) {
  if (text.empty()) return fail(Errc::validation, "empty Socket.IO packet");
  SioPacket p;
  if (text[0] < '0' || text[0] > '6') return fail(Errc::validation, "unknown Socket.IO packet type");
  p.type = static_cast<SioType>(text[0] - '0');
  std::size_t at = 1;

  if (p.type == SioType::binary_event || p.type == SioType::binary_ack) {
    std::size_t start = at;
    while (at < text.size() && is_digit(text[at])) ++at;
    if (at == start || at >= text.size() || text[at] != '-' || at - start > 4) {
      return fail(Errc::validation, "binary packet without a valid attachment count");
    }
    p.attachments = std::stoi(std::string(text.substr(start, at - start)));
    ++at;  // '-'
  }
  if (at < text.size() && text[at] == '/') {
    std::size_t comma = text.find(',', at);
    p.nsp = std::string(text.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at));
    at = comma == std::string_view::npos ? text.size() : comma + 1;
  }
  if (at < text.size() && is_digit(text[at])) {
    std::size_t start = at;
    while (at < text.size() && is_digit(text[at])) ++at;
    if (at - start > 16) return fail(Errc::validation, "ack id too large");
    std::uint64_t id = std::stoull(std::string(text.substr(start, at - start)));
    if (id > kMaxAckId) return fail(Errc::validation, "ack id too large");
    p.id = id;
  }
  if (at < text.size()) {
    nlohmann::json data = parse_bounded_json(text.substr(at));
    if (data.is_discarded()) {
      return fail(Errc::validation, "Socket.IO payload is not valid JSON or nests deeper than " +
                                        std::to_string(kMaxJsonDepth) + " levels");
    }
    p.data = std::move(data);
  }
  if (auto valid = check_payload(p); !valid) return tl::unexpected(valid.error());
  return p;
}

std::string encode_sio(const SioPacket& p) {
  std::string out(1, static_cast<char>('0' + static_cast<int>(p.type)));
  if (p.type == SioType::binary_event || p.type == SioType::binary_ack) out += std::to_string(p.attachments) + "-";
  if (p.nsp != "/") out += p.nsp + ",";
  if (p.id) out += std::to_string(*p.id);
  if (p.data) out += p.data->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return out;
}

std::string encode_event(std::string_view nsp, std::string_view name, const nlohmann::json& argument) {
  std::string out = "2";
  if (nsp != "/") {
    out += nsp;
    out += ',';
  }
  out += "[";
  out += nlohmann::json(std::string(name)).dump();
  out += ",";
  out += argument.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += "]";
  return out;
}

Result<nlohmann::json> reconstruct(const nlohmann::json& data, const std::vector<std::string>& attachments) {
  if (is_placeholder(data)) {
    if (!data["num"].is_number_unsigned() || data["num"].get<std::size_t>() >= attachments.size()) {
      return fail(Errc::validation, "binary placeholder out of range");
    }
    const std::string& bytes = attachments[data["num"].get<std::size_t>()];
    return nlohmann::json::binary(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
  }
  if (data.is_array() || data.is_object()) {
    nlohmann::json out = data;
    for (auto it = out.begin(); it != out.end(); ++it) {
      auto value = reconstruct(*it, attachments);
      if (!value) return value;
      *it = std::move(*value);
    }
    return out;
  }
  return data;
}

nlohmann::json deconstruct(const nlohmann::json& data, std::vector<std::string>& attachments) {
  if (data.is_binary()) {
    const auto& bytes = data.get_binary();
    attachments.emplace_back(bytes.begin(), bytes.end());
    return {{"_placeholder", true}, {"num", attachments.size() - 1}};
  }
  if (data.is_array() || data.is_object()) {
    nlohmann::json out = data;
    for (auto it = out.begin(); it != out.end(); ++it) *it = deconstruct(*it, attachments);
    return out;
  }
  return data;
}

}  // namespace parkchat::proto
