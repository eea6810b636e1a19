#pragma once
// What a client reads after a reconnect to fill the gap in one room: history (newest first,
// page by page) back to a moment it knows it was complete, and, when the join's answer named
// the room's newest message (`join_room {resume: true}`), until history holds that one too.
// History follows the stream by the persister's lag, so a message acknowledged just before the
// join may be missing from it for a moment: without the newest id a client could not tell.
//
// The caller merges what comes back by id: the window overlaps what it already holds.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/error.hpp"

namespace parkchat::client {

struct CatchUpOptions {
  int page_size = 100;
  int max_pages = 100;
  // History is ordered by createdAt, which each gateway stamps from its own clock: read this much
  // further back than the moment given.
  std::chrono::milliseconds overlap{5000};
  // How long to wait for history to hold the newest message, asking again every `retry_every`.
  std::chrono::milliseconds patience{15000};
  std::chrono::milliseconds retry_every{100};
};

// One page of GET /rooms/:id/messages ({messages (newest first), hasMore, nextCursor}).
using HistoryPages = std::function<Result<nlohmann::json>(const std::optional<std::string>& cursor)>;

struct CatchUp {
  std::vector<nlohmann::json> messages;  // created after `since` less the overlap, oldest first
  bool reached_newest = true;            // false: history did not hold `newest` in time
};

// Messages of a room created after `since_micros` (µs since the epoch), read through `pages`;
// with `newest`, read again until they include it. Blocks; an error only when history cannot
// be read at all.
Result<CatchUp> catch_up(const HistoryPages& pages, std::int64_t since_micros, const std::optional<std::string>& newest,
                         const CatchUpOptions& options = {});

}  // namespace parkchat::client
