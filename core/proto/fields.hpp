#pragma once
// Reading request payloads: each field under its camelCase name or the seed's snake_case one
// (CONTRACT §3), with a VALIDATION error that names the field when it is missing or mistyped.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/error.hpp"

namespace parkchat::proto {

// Names a field by its camelCase and snake_case spellings ("participantIds", "participant_ids").
struct Field {
  const char* camel;
  const char* snake = nullptr;
};

// The field's value if present and not null.
const nlohmann::json* find(const nlohmann::json& object, Field field);

Result<std::int64_t> require_int(const nlohmann::json& object, Field field);
Result<std::optional<std::int64_t>> optional_int(const nlohmann::json& object, Field field);
Result<std::string> require_string(const nlohmann::json& object, Field field);
Result<std::optional<std::string>> optional_string(const nlohmann::json& object, Field field);
Result<std::vector<std::int64_t>> require_int_list(const nlohmann::json& object, Field field);
// A room or message id: a UUID, returned in canonical lowercase form.
Result<std::string> require_uuid(const nlohmann::json& object, Field field);

}  // namespace parkchat::proto
