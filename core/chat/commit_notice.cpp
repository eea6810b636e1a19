#include "core/chat/commit_notice.hpp"

#include <nlohmann/json.hpp>

#include "core/base/uuid.hpp"
#include "core/proto/bounded_json.hpp"

namespace parkchat::chat {

constexpr std::size_t kMaxIds = 10'000;

std::string commit_notice(const std::vector<std::string>& ids) { return nlohmann::json{{"ids", ids}}.dump(); }

std::vector<std::string> ids_of(const nlohmann::json& object, const char* field) {
  std::vector<std::string> ids;
  if (!object.is_object()) return ids;
  auto it = object.find(field);
  if (it == object.end() || !it->is_array() || it->size() > kMaxIds) return ids;
  ids.reserve(it->size());
  for (const auto& id : *it) {
    if (id.is_string() && is_uuid(id.get_ref<const std::string&>())) ids.push_back(canonical_uuid(id.get<std::string>()));
  }
  return ids;
}

std::vector<std::string> ids_of(std::string_view json, const char* field) {
  return ids_of(proto::parse_bounded_json(json), field);
}

}  // namespace parkchat::chat
