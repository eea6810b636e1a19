// Socket.IO packets: any text decodes to a packet or an error; what decodes encodes to the same
// packet; placeholders are put back from attachments without reading past them.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/proto/socketio.hpp"

using namespace parkchat::proto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto packet = decode_sio(input);
  if (!packet) return 0;
  auto again = decode_sio(encode_sio(*packet));
  if (!again || again->type != packet->type || again->nsp != packet->nsp || again->id != packet->id ||
      again->attachments != packet->attachments || again->data != packet->data) {
    std::abort();
  }
  if (packet->data) {
    std::vector<std::string> attachments(static_cast<std::size_t>(packet->attachments % 4), "bytes");
    (void)reconstruct(*packet->data, attachments);
    std::vector<std::string> taken;
    (void)deconstruct(*packet->data, taken);
    if (packet->data->is_array() && !packet->data->empty() && (*packet->data)[0].is_string()) {
      (void)is_reserved_event((*packet->data)[0].get<std::string>());
    }
  }
  return 0;
}
