#pragma once
// What one shard knows of a room's members, and the joins that wait for the service to tell it.
// A join of a user the last answer named is admitted at once; any other asks the service, one
// request per room at a time: sockets that join while it is on its way (a storm of reconnects
// into the same rooms) wait for its answer instead of each asking. A membership event that
// arrives while a request is on its way is newer than its answer, which then fills in only
// the room's type.
//
// Pure bookkeeping, no I/O and no clock: the gateway sends the requests and applies the
// verdicts, so the races between joins, answers and membership events are unit-tested here.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/base/error.hpp"
#include "core/chat/room.hpp"

namespace parkchat::gateway {

class RoomMembership {
 public:
  struct Join {
    std::string socket_id;
    std::optional<std::uint64_t> ack;
    std::int64_t user_id = 0;
    bool resume = false;  // the client asked for the room's newest message id (ChatGateway)
  };
  enum class Outcome {
    admit,      // the answer names the user
    not_found,  // the answer to this join's own request does not
    ask_again,  // the answer was to another join's request and does not name this user
    failed,     // this join's own request failed: `Answer::described` says why
  };
  struct Verdict {
    Join join;
    Outcome outcome;
  };
  struct Answer {
    Result<void> described;  // whether the reply described the room
    std::vector<Verdict> verdicts;  // the join that asked first, then those that waited
  };

  // Whether `user_id` may join without asking: the service's last word names them.
  bool admits(std::int64_t user_id) const { return described_ && members_.count(user_id) != 0; }
  bool has_member(std::int64_t user_id) const { return members_.count(user_id) != 0; }

  // Queues a join the service must decide. True: no request is on its way, and the caller is
  // to send one, tagged with version(). False: the join waits for the answer on its way.
  bool enqueue(Join join);
  std::uint64_t version() const { return version_; }

  // The service's reply to the request on its way, sent at `version`: a CONTRACT envelope
  // whose data has `type` and `members` [{userId}], or why there is none.
  Answer answer(std::uint64_t version, const Result<std::string>& reply, const std::string& room_id);

  // A membership event: the room's whole member list, newer than any answer on its way.
  void replace_members(const std::vector<std::int64_t>& members);

  // Whether joins wait for the service: the room must stay open for them.
  bool joining() const { return !queue_.empty(); }
  chat::RoomType type() const { return type_; }

 private:
  Result<void> describe(std::uint64_t version, const Result<std::string>& reply, const std::string& room_id);

  chat::RoomType type_ = chat::RoomType::group;
  bool described_ = false;  // type and members known from the service
  std::uint64_t version_ = 0;  // bumped by every membership event
  std::unordered_set<std::int64_t> members_;
  std::vector<Join> queue_;  // the join that asked, then those waiting for its answer
};

}  // namespace parkchat::gateway
