#include "core/base/uuid.hpp"

#include <uuid/uuid.h>

namespace parkchat {

std::string new_uuid() {
  uuid_t raw;
  uuid_generate_random(raw);
  char text[37];
  uuid_unparse_lower(raw, text);
  return text;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  std::string copy(text);
  uuid_t raw;
  return uuid_parse(copy.c_str(), raw) == 0;
}

std::string canonical_uuid(std::string_view text) {
  std::string copy(text);
  uuid_t raw;
  if (uuid_parse(copy.c_str(), raw) != 0) return copy;
  char out[37];
  uuid_unparse_lower(raw, out);
  return out;
}

}  // namespace parkchat
