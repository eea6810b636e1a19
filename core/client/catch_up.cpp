#include "core/client/catch_up.hpp"

#include <algorithm>
#include <thread>

#include "core/base/clock.hpp"

namespace parkchat::client {
namespace {

// One pass over history back to `from` (µs): newest first.
Result<std::vector<nlohmann::json>> read_back(const HistoryPages& pages, std::int64_t from, const CatchUpOptions& options) {
  std::vector<nlohmann::json> newest_first;
  std::optional<std::string> cursor;
  for (int page_number = 0; page_number < options.max_pages; ++page_number) {
    auto page = pages(cursor);
    if (!page) return tl::unexpected(page.error());
    if (!page->contains("messages") || !(*page)["messages"].is_array()) {
      return fail(Errc::internal, "a history page without messages");
    }
    for (auto& message : (*page)["messages"]) {
      const auto created = parse_iso8601(message.value("createdAt", ""));
      if (created && *created < from) return newest_first;  // older than the gap
      newest_first.push_back(std::move(message));
    }
    if (!page->value("hasMore", false) || !(*page)["nextCursor"].is_string()) break;
    cursor = (*page)["nextCursor"].get<std::string>();
  }
  return newest_first;
}

}  // namespace

Result<CatchUp> catch_up(const HistoryPages& pages, std::int64_t since_micros, const std::optional<std::string>& newest,
                         const CatchUpOptions& options) {
  const std::int64_t from = since_micros - std::chrono::duration_cast<std::chrono::microseconds>(options.overlap).count();
  const auto give_up_at = std::chrono::steady_clock::now() + options.patience;
  while (true) {
    auto newest_first = read_back(pages, from, options);
    if (!newest_first) return tl::unexpected(newest_first.error());
    CatchUp found{{newest_first->rbegin(), newest_first->rend()}, true};
    if (!newest) return found;
    found.reached_newest = std::any_of(found.messages.begin(), found.messages.end(),
                                       [&](const nlohmann::json& m) { return m.value("id", "") == *newest; });
    if (found.reached_newest || std::chrono::steady_clock::now() >= give_up_at) return found;
    std::this_thread::sleep_for(options.retry_every);  // the persister has not stored it yet
  }
}

}  // namespace parkchat::client
