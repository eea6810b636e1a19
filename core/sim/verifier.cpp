#include "core/sim/verifier.hpp"

namespace parkchat::sim {

void DeliveryVerifier::acked(const std::string& id, Client sender, std::vector<Client> recipients) {
  (void)sender;
  expected_ += recipients.size();
  owed_[id] = std::move(recipients);
}

void DeliveryVerifier::delivered(Client recipient, const std::string& id, Client sender, std::uint64_t seq) {
  ++receipts_;
  ++received_[id][recipient];
  auto& last = last_seq_[{recipient, sender}];
  if (seq < last) {
    ++out_of_order_;
  } else {
    last = seq;
  }
}

DeliveryVerifier::Counts DeliveryVerifier::finish() const {
  Counts counts;
  counts.out_of_order = out_of_order_;
  for (const auto& [id, recipients] : owed_) {
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
      }
    }
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
