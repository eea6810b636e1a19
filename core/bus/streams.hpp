#pragma once
// The JetStream streams of CONTRACT §5 and the durable pull consumers that read them.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/bus/nats_client.hpp"

namespace parkchat::bus {

inline constexpr const char* kMessagesStream = "CHAT_MESSAGES";
inline constexpr const char* kPresenceStream = "CHAT_PRESENCE";
inline constexpr const char* kTypingStream = "CHAT_TYPING";
// Messages the persister could never store (data PostgreSQL refuses, rooms that do not exist),
// kept 30 days with the reason in the Parkchat-Deadletter-Reason header.
inline constexpr const char* kDeadLetterStream = "CHAT_DEADLETTER";
inline constexpr const char* kDeadLetterReasonHeader = "Parkchat-Deadletter-Reason";

struct StreamOptions {
  // How long CHAT_MESSAGES remembers a Nats-Msg-Id to drop its duplicates (`serve
  // --dedupe-window`). nats-server keeps every id of the window in memory: about 100 bytes per
  // message, so window × message rate.
  std::chrono::milliseconds dedupe_window{std::chrono::minutes(2)};
  // Copies of each stream kept by the servers of a NATS cluster (`serve --stream-replicas`):
  // 3 survives one server lost, 5 two. More than 1 needs a JetStream cluster of at least as many
  // servers; an existing stream is scaled to it.
  int replicas = 1;
};

// Creates CHAT_MESSAGES, CHAT_PRESENCE, CHAT_TYPING and CHAT_DEADLETTER, or brings their
// subjects, max age, storage and duplicate window up to date. CHAT_MESSAGES allows direct gets
// (stream_message_request).
Result<void> ensure_streams(NatsClient& nats, const StreamOptions& options = {});

// Whether JetStream answers on `nats` (a cluster answers only once it has a leader).
bool jetstream_ready(NatsClient& nats);

// Waits up to `patience` for the four streams to exist, changing none of them: the streams'
// settings have one owner, the service role (ensure_streams), so that processes started with
// other flags never overwrite them. UNAVAILABLE naming the stream missing after that.
Result<void> await_streams(NatsClient& nats, std::chrono::milliseconds patience);

// The request that reads message `sequence` of `stream` (a JetStream direct get, answered by
// any server holding the stream): its reply is the stored payload, empty when there is no
// such message.
struct StreamMessageRequest {
  std::string subject;
  std::string payload;
};
StreamMessageRequest stream_message_request(const char* stream, std::uint64_t sequence);
// The request that reads the newest message of `stream` on `subject`; its reply as above.
StreamMessageRequest newest_message_request(const char* stream, const std::string& subject);

struct ConsumerReport {
  std::string name;
  std::uint64_t pending = 0;      // not yet delivered
  std::int64_t ack_pending = 0;   // delivered, not yet acknowledged
};
struct StreamReport {
  std::string name;
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  int replicas = 1;
  // In a NATS cluster, the server that leads the stream and those that hold its copies (with
  // whether each is current); empty without a cluster.
  std::string leader;
  struct Peer {
    std::string name;
    bool current = false;
    bool offline = false;
  };
  std::vector<Peer> peers;
  std::vector<ConsumerReport> consumers;
};
// The state of the three streams and their consumers, for `parkchat stats`. Blocking (JetStream
// API requests): call from a thread that may wait.
Result<std::vector<StreamReport>> report_streams(NatsClient& nats);

// A durable pull consumer (explicit acks) shared by every process that opens it by the same
// name: each message goes to one of them, and back to another if not acked in time.
class PullConsumer {
 public:
  // `nats` must outlive the consumer.
  static Result<std::unique_ptr<PullConsumer>> open(NatsClient& nats, const std::string& stream,
                                                    const std::string& durable, int max_ack_pending);
  ~PullConsumer();

  // Up to `batch` messages, waiting at most `wait` for the first; empty when none came.
  Result<std::vector<MsgPtr>> fetch(int batch, std::chrono::milliseconds wait);

 private:
  PullConsumer(natsSubscription* sub, std::shared_ptr<SubscriptionReaper> reaper)
      : sub_(sub), reaper_(std::move(reaper)) {}
  natsSubscription* sub_;
  std::shared_ptr<SubscriptionReaper> reaper_;
};

void ack(natsMsg* msg);
// Redelivers after `delay`.
void nak(natsMsg* msg, std::chrono::milliseconds delay);
// Never redelivers (a message that can never be processed).
void term(natsMsg* msg);

}  // namespace parkchat::bus
