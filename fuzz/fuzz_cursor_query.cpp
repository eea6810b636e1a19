// History cursors and query strings, both straight from URLs: a cursor decodes only to what
// encodes back to it (in canonical form), and any query string parses.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/chat/cursor.hpp"
#include "daemon/web/query_string.hpp"

using namespace parkchat;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  if (auto cursor = chat::decode_cursor(input)) {
    auto again = chat::decode_cursor(chat::encode_cursor(*cursor));
    if (!again || again->created_at != cursor->created_at || again->id != cursor->id) std::abort();
  }
  (void)web::parse_query(input);
  return 0;
}
