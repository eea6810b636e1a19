#include "core/sim/history_check.hpp"

#include <chrono>
#include <optional>
#include <set>
#include <thread>

#include "core/client/rest_client.hpp"

namespace parkchat::sim {

void check_history(const std::vector<client::ServerUrl>& servers, std::vector<HistoryToCheck> rooms, Report& report) {
  using Clock = std::chrono::steady_clock;
  struct Missing {
    const HistoryToCheck* room;
    std::set<std::string> ids;
  };
  std::vector<Missing> missing;
  for (const auto& room : rooms) {
    if (!room.acked_ids.empty()) missing.push_back({&room, {room.acked_ids.begin(), room.acked_ids.end()}});
  }
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  std::uint64_t duplicated = 0;
  while (!missing.empty()) {
    duplicated = 0;
    for (auto it = missing.begin(); it != missing.end();) {
      client::RestClient rest(servers, it->room->reader_token);
      std::set<std::string> seen;
      std::optional<std::string> cursor;
      for (int page_number = 0; page_number < 1000 && !it->ids.empty(); ++page_number) {
        auto page = rest.history(it->room->room_id, 100, cursor);
        if (!page) break;
        for (const auto& m : (*page)["messages"]) {
          const std::string id = m.value("id", "");
          if (!seen.insert(id).second) ++duplicated;
          it->ids.erase(id);
        }
        if (!page->value("hasMore", false) || !(*page)["nextCursor"].is_string()) break;
        cursor = (*page)["nextCursor"].get<std::string>();
      }
      it = it->ids.empty() ? missing.erase(it) : std::next(it);
    }
    if (missing.empty() || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the persister catches up
  }
  report.duplicated_in_history = duplicated;
  for (const auto& room : missing) report.missing_in_history += room.ids.size();
}

}  // namespace parkchat::sim
