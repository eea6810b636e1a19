#pragma once
// UUIDs through libuuid: new random (v4) ids, and checks of ids that come from clients.

#include <string>
#include <string_view>

namespace parkchat {

// A new random UUID, lowercase canonical form.
std::string new_uuid();
// True for the canonical 8-4-4-4-12 hex form (either case).
bool is_uuid(std::string_view text);
// The canonical lowercase form of a valid UUID.
std::string canonical_uuid(std::string_view text);

}  // namespace parkchat
