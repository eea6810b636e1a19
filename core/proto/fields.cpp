#include "core/proto/fields.hpp"

#include <cstdint>
#include <limits>

#include "core/base/uuid.hpp"

namespace parkchat::proto {
namespace {

std::string name_of(Field field) { return field.camel; }

// JSON numbers that are whole and fit, or strings of digits ("4"), as clients send both.
std::optional<std::int64_t> as_int(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    const std::uint64_t u = value.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_float()) {
    // Within ±2^53 a double is a whole number exactly or not at all; past it (1e50) the cast to
    // an integer would be undefined (found by fuzz/fuzz_json_fields).
    constexpr double kLargestExact = 9007199254740992.0;
    const double d = value.get<double>();
    if (!(d >= -kLargestExact && d <= kLargestExact)) return std::nullopt;
    if (d == static_cast<double>(static_cast<std::int64_t>(d))) return static_cast<std::int64_t>(d);
    return std::nullopt;
  }
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::int64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return n;
  }
  return std::nullopt;
}

}  // namespace

const nlohmann::json* find(const nlohmann::json& object, Field field) {
  if (!object.is_object()) return nullptr;
  for (const char* name : {field.camel, field.snake}) {
    if (name == nullptr) continue;
    auto it = object.find(name);
    if (it != object.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

Result<std::optional<std::int64_t>> optional_int(const nlohmann::json& object, Field field) {
  const nlohmann::json* value = find(object, field);
  if (value == nullptr) return std::optional<std::int64_t>();
  auto n = as_int(*value);
  if (!n) return fail(Errc::validation, name_of(field) + " must be an integer");
  return n;
}

Result<std::int64_t> require_int(const nlohmann::json& object, Field field) {
  auto n = optional_int(object, field);
  if (!n) return tl::unexpected(n.error());
  if (!*n) return fail(Errc::validation, name_of(field) + " is required");
  return **n;
}

Result<std::optional<std::string>> optional_string(const nlohmann::json& object, Field field) {
  const nlohmann::json* value = find(object, field);
  if (value == nullptr) return std::optional<std::string>();
  if (!value->is_string()) return fail(Errc::validation, name_of(field) + " must be a string");
  return std::optional<std::string>(value->get<std::string>());
}

Result<std::string> require_string(const nlohmann::json& object, Field field) {
  auto s = optional_string(object, field);
  if (!s) return tl::unexpected(s.error());
  if (!*s) return fail(Errc::validation, name_of(field) + " is required");
  return **s;
}

Result<std::vector<std::int64_t>> require_int_list(const nlohmann::json& object, Field field) {
  const nlohmann::json* value = find(object, field);
  if (value == nullptr) return fail(Errc::validation, name_of(field) + " is required");
  if (!value->is_array()) return fail(Errc::validation, name_of(field) + " must be an array of integers");
  std::vector<std::int64_t> out;
  for (const auto& item : *value) {
    auto n = as_int(item);
    if (!n) return fail(Errc::validation, name_of(field) + " must be an array of integers");
    out.push_back(*n);
  }
  return out;
}

Result<std::string> require_uuid(const nlohmann::json& object, Field field) {
  auto s = require_string(object, field);
  if (!s) return s;
  if (!is_uuid(*s)) return fail(Errc::validation, name_of(field) + " must be a UUID");
  return canonical_uuid(*s);
}

}  // namespace parkchat::proto
