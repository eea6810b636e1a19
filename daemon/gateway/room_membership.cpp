#include "daemon/gateway/room_membership.hpp"

#include <nlohmann/json.hpp>

#include "core/proto/envelope.hpp"

namespace parkchat::gateway {

bool RoomMembership::enqueue(Join join) {
  queue_.push_back(std::move(join));
  return queue_.size() == 1;
}

RoomMembership::Answer RoomMembership::answer(std::uint64_t version, const Result<std::string>& reply,
                                              const std::string& room_id) {
  Answer answer{describe(version, reply, room_id), {}};
  std::vector<Join> joins;
  joins.swap(queue_);
  answer.verdicts.reserve(joins.size());
  for (std::size_t i = 0; i < joins.size(); ++i) {
    const bool asked = i == 0;
    Outcome outcome;
    if (answer.described && members_.count(joins[i].user_id) != 0) {
      outcome = Outcome::admit;
    } else if (!asked) {
      // Maybe another user's question, refused: this join asks its own.
      outcome = Outcome::ask_again;
    } else {
      outcome = answer.described ? Outcome::not_found : Outcome::failed;
    }
    answer.verdicts.push_back(Verdict{std::move(joins[i]), outcome});
  }
  return answer;
}

Result<void> RoomMembership::describe(std::uint64_t version, const Result<std::string>& reply,
                                      const std::string& room_id) {
  auto data = reply ? proto::open_envelope(nlohmann::json::parse(*reply, nullptr, false)) : tl::unexpected(reply.error());
  if (!data) return tl::unexpected(data.error());
  auto type = chat::parse_room_type(data->value("type", ""));
  if (!type || !data->contains("members") || !(*data)["members"].is_array()) {
    return fail(Errc::internal, "the service described room " + room_id + " oddly");
  }
  type_ = *type;
  if (version_ == version) {
    members_.clear();
    for (const auto& member : (*data)["members"]) {
      if (member.contains("userId") && member["userId"].is_number_integer()) {
        members_.insert(member["userId"].get<std::int64_t>());
      }
    }
  }
  described_ = true;
  return {};
}

void RoomMembership::replace_members(const std::vector<std::int64_t>& members) {
  ++version_;
  members_.clear();
  members_.insert(members.begin(), members.end());
}

}  // namespace parkchat::gateway
