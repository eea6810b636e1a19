// Engine.IO frames and polling payloads: any bytes decode to packets or an error, never a crash,
// and what decodes encodes to something that decodes the same.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/base/encoding.hpp"
#include "core/proto/engineio.hpp"

using namespace parkchat::proto;
using parkchat::base64_decode;
using parkchat::base64_encode;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto packet = decode_eio_text(input)) {
    auto again = decode_eio_text(encode_eio_text(*packet));
    if (!again || !(*again == *packet)) std::abort();
  }
  if (auto packets = decode_eio_payload(input)) {
    auto again = decode_eio_payload(encode_eio_payload(*packets));
    if (!again || again->size() != packets->size()) std::abort();
  }
  if (auto bytes = base64_decode(input)) {
    if (base64_decode(base64_encode(*bytes)) != bytes) std::abort();
  }
  return 0;
}
