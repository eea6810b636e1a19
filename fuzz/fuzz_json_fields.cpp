// What every outside payload goes through: the depth-bounded JSON reader, the field readers
// and the reading of a published message. Never a crash, never an exception.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/chat/message.hpp"
#include "core/proto/bounded_json.hpp"
#include "core/proto/envelope.hpp"
#include "core/proto/fields.hpp"

using namespace parkchat;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)proto::json_nesting_depth(input);
  const nlohmann::json json = proto::parse_bounded_json(input);
  if (json.is_discarded()) return 0;
  (void)proto::require_int(json, {"userId", "user_id"});
  (void)proto::optional_int(json, {"limit"});
  (void)proto::require_string(json, {"content"});
  (void)proto::optional_string(json, {"name"});
  (void)proto::require_int_list(json, {"memberIds", "member_ids"});
  (void)proto::require_uuid(json, {"roomId", "room_id"});
  (void)proto::open_envelope(json);
  (void)chat::message_from_json(json);
  (void)json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
