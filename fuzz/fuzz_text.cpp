// The text rules: content validation and names. What clean_name returns always passes the
// check a stored name must pass; nothing reads past the input.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/base/utf8.hpp"
#include "core/chat/message.hpp"
#include "core/chat/text.hpp"

using namespace parkchat;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)utf8_length(input);
  (void)trim_space(input);
  (void)chat::validate_client_content(chat::MessageType::text, input);
  (void)chat::validate_client_content(chat::MessageType::image, input);
  (void)chat::check_stored_text("content", input, chat::kMaxContentChars);
  const std::string name = chat::clean_name(input, chat::kMaxNameChars);
  if (!chat::check_stored_text("name", name, chat::kMaxNameChars)) std::abort();
  if (utf8_length(input)) (void)chat::preview(input);
  return 0;
}
