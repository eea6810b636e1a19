#pragma once
// Proof that nothing was lost: which sockets each acknowledged message should reach, which it
// reached, and in what order each sender's messages arrived. Deliveries may be reported before
// the sender's ack; the books are balanced at the end. Pure.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace parkchat::sim {

class DeliveryVerifier {
 public:
  using Client = int;

  // The server acknowledged message `id`, the `seq`-th of `sender`; `recipients` were in its
  // room (joined, connected) when it was sent.
  void acked(const std::string& id, Client sender, std::vector<Client> recipients);
  // `recipient` received message `id`, the `seq`-th of `sender`: live, or `from_history` when it
  // filled a gap after a reconnect (such a receipt comes late by nature, and says nothing of
  // the order of live deliveries).
  void delivered(Client recipient, const std::string& id, Client sender, std::uint64_t seq, bool from_history = false);
  bool received(Client recipient, const std::string& id) const;
  // `client` lost its connection or left: messages it missed from now on are not losses.
  void unstable(Client client) { unstable_.insert(client); }

  struct Counts {
    std::uint64_t expected = 0;     // (message, recipient) pairs owed
    std::uint64_t delivered = 0;    // first receipts of owed pairs
    std::uint64_t lost = 0;         // owed to a stable recipient and never received
    std::uint64_t duplicated = 0;   // second and later receipts of the same message by a socket
    std::uint64_t out_of_order = 0; // receipts older than one already seen from the same sender
    std::uint64_t unexpected = 0;   // receipts of messages never acknowledged
    // Where losses fall: on a few recipients (sockets the server stopped serving) or on a few
    // messages (messages dropped before the fan-out), and one example of each.
    std::uint64_t lost_recipients = 0;
    std::uint64_t lost_messages = 0;
    std::uint64_t most_lost_by_one_recipient = 0;
    std::string a_lost_message;
  };
  Counts finish() const;
  // Owed pairs received so far, and owed in all: equal once every acknowledged message reached
  // everyone it was owed to. (Receipts in all say nothing: a socket also gets messages it was not
  // owed, such as those sent while its join was on its way, or those whose ack timed out.)
  std::uint64_t owed_received() const { return owed_received_; }
  std::uint64_t expected_count() const { return expected_; }

 private:
  std::unordered_map<std::string, std::vector<Client>> owed_;              // acked id -> recipients, sorted
  std::unordered_map<std::string, std::map<Client, int>> received_;        // id -> recipient -> times
  std::map<std::pair<Client, Client>, std::uint64_t> last_seq_;           // (recipient, sender) -> seq
  std::set<Client> unstable_;
  std::uint64_t out_of_order_ = 0;
  std::uint64_t receipts_ = 0;
  std::uint64_t owed_received_ = 0;
  std::uint64_t expected_ = 0;
};

}  // namespace parkchat::sim
