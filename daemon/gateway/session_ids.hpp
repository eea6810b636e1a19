#pragma once
// Engine.IO session ids that name the listener thread (shard) holding the session, so that the
// listener can hand each new connection of a session to that thread (web::ConnectionRoute):
// two hex digits of shard, then 72 random bits in hex.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parkchat::gateway {

// A new session id of shard `shard` (below 256).
std::string new_session_id(std::size_t shard);
// The shard that owns the session named by the `sid` of a request target (possibly cut short),
// or nullopt when it names none.
std::optional<std::size_t> session_shard(std::string_view target);

}  // namespace parkchat::gateway
