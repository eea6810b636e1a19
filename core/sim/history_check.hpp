#pragma once
// The simulator's last check: every acknowledged message of a room is in the room's history
// (GET /rooms/:id/messages, every page) exactly once.

#include <string>
#include <vector>

#include "core/client/http_client.hpp"
#include "core/sim/runner.hpp"

namespace parkchat::sim {

struct HistoryToCheck {
  std::string room_id;
  std::string reader_token;  // of a member
  std::vector<std::string> acked_ids;
};

// Fills report.missing_in_history and report.duplicated_in_history. History is written
// asynchronously, so rooms still missing some are read again for up to 60 s: a message pulled
// by a persister that died is stored by another once its ack wait (10 s) has passed.
void check_history(const std::vector<client::ServerUrl>& servers, std::vector<HistoryToCheck> rooms, Report& report);

}  // namespace parkchat::sim
