#include "core/sim/verifier.hpp"

#include <algorithm>

namespace parkchat::sim {

void DeliveryVerifier::acked(const std::string& id, Client sender, std::vector<Client> recipients) {
  (void)sender;
  std::sort(recipients.begin(), recipients.end());
  expected_ += recipients.size();
  // Deliveries may have come before the ack.
  if (auto got = received_.find(id); got != received_.end()) {
    for (const auto& [recipient, times] : got->second) {
      if (std::binary_search(recipients.begin(), recipients.end(), recipient)) ++owed_received_;
    }
  }
  owed_[id] = std::move(recipients);
}

void DeliveryVerifier::delivered(Client recipient, const std::string& id, Client sender, std::uint64_t seq,
                                 bool from_history) {
  ++receipts_;
  if (++received_[id][recipient] == 1) {
    auto owed = owed_.find(id);
    if (owed != owed_.end() && std::binary_search(owed->second.begin(), owed->second.end(), recipient)) ++owed_received_;
  }
  if (from_history) return;
  auto& last = last_seq_[{recipient, sender}];
  if (seq < last) {
    ++out_of_order_;
  } else {
    last = seq;
  }
}

bool DeliveryVerifier::received(Client recipient, const std::string& id) const {
  auto it = received_.find(id);
  return it != received_.end() && it->second.count(recipient) != 0;
}

DeliveryVerifier::Counts DeliveryVerifier::finish() const {
  Counts counts;
  counts.out_of_order = out_of_order_;
  std::map<Client, std::uint64_t> lost_by_recipient;
  for (const auto& [id, recipients] : owed_) {
    const std::uint64_t lost_before = counts.lost;
    auto got = received_.find(id);
    for (Client recipient : recipients) {
      ++counts.expected;
      const int times = got == received_.end() ? 0 : [&] {
        auto it = got->second.find(recipient);
        return it == got->second.end() ? 0 : it->second;
      }();
      if (times > 0) {
        ++counts.delivered;
      } else if (unstable_.count(recipient) == 0) {
        ++counts.lost;
        ++lost_by_recipient[recipient];
      }
    }
    if (counts.lost > lost_before) {
      ++counts.lost_messages;
      if (counts.a_lost_message.empty()) counts.a_lost_message = id;
    }
  }
  counts.lost_recipients = lost_by_recipient.size();
  for (const auto& [recipient, lost] : lost_by_recipient) {
    counts.most_lost_by_one_recipient = std::max(counts.most_lost_by_one_recipient, lost);
  }
  for (const auto& [id, by_recipient] : received_) {
    const bool owed = owed_.count(id) != 0;
    for (const auto& [recipient, times] : by_recipient) {
      if (times > 1) counts.duplicated += static_cast<std::uint64_t>(times - 1);
      if (!owed) counts.unexpected += static_cast<std::uint64_t>(times);
    }
  }
  return counts;
}

}  // namespace parkchat::sim
