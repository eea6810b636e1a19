#include "core/bus/streams.hpp"

#include <algorithm>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/obs/log.hpp"

namespace parkchat::bus {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

struct StreamSpec {
  const char* name;
  std::vector<const char*> subjects;
  std::int64_t max_age_ns;
  jsStorageType storage;
  std::int64_t duplicates_ns;  // the Nats-Msg-Id window
  bool allow_direct;
  int replicas;
  // Republished once stored (the live subjects of core/chat/subjects.hpp); null for none.
  const char* republish_source;
  const char* republish_destination;
};

bool same_text(const char* a, const char* b) {
  return (a == nullptr || *a == '\0') ? (b == nullptr || *b == '\0') : (b != nullptr && std::strcmp(a, b) == 0);
}

// Whether a stream's RePublish setting is the one `spec` asks for.
bool republishes_as(const jsRePublish* current, const StreamSpec& spec) {
  if (current == nullptr) return spec.republish_source == nullptr;
  return spec.republish_source != nullptr && same_text(current->Source, spec.republish_source) &&
         same_text(current->Destination, spec.republish_destination);
}

// Messages of `stream` that a consumer has not yet processed (or -1 when unknown).
std::int64_t unprocessed(NatsClient& nats, const char* stream) {
  jsConsumerInfoList* consumers = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  if (js_Consumers(&consumers, nats.jetstream(), stream, nullptr, &code) != NATS_OK) return -1;
  std::int64_t count = 0;
  for (int i = 0; consumers != nullptr && i < consumers->Count; ++i) {
    count += static_cast<std::int64_t>(consumers->List[i]->NumPending) + consumers->List[i]->NumAckPending;
  }
  if (consumers != nullptr) jsConsumerInfoList_Destroy(consumers);
  return count;
}

// nats-server 2.9 cannot change a stream's RePublish setting: a stream made without it (by an
// earlier parkchat) is made again. Only when nothing in it is still waiting for a consumer:
// everything a stream held has reached PostgreSQL (messages) or no longer matters (typing).
Result<void> recreate_stream(NatsClient& nats, jsStreamConfig& config, const StreamSpec& spec) {
  if (spec.storage == js_FileStorage) {
    const std::int64_t waiting = unprocessed(nats, spec.name);
    if (waiting != 0) {
      return fail(Errc::unavailable,
                  std::string("stream ") + spec.name + " must be made again to republish what it stores, but " +
                      (waiting < 0 ? "its consumers cannot be read" : std::to_string(waiting) + " of its messages") +
                      " wait for a consumer; run the service role of the earlier version until they are stored");
    }
  }
  obs::logger("bus")->warn("stream {} made again: it now republishes what it stores", spec.name);
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteStream(nats.jetstream(), spec.name, nullptr, &code);
  jsStreamInfo* info = nullptr;
  if (s == NATS_OK) s = js_AddStream(&info, nats.jetstream(), &config, nullptr, &code);
  if (info != nullptr) jsStreamInfo_Destroy(info);
  if (s != NATS_OK) {
    return tl::unexpected(
        nats_error(s, std::string("making stream ") + spec.name + " again (JetStream code " + std::to_string(code) + ")"));
  }
  return {};
}

// A JetStream cluster that has no leader yet (starting, or electing one after losing a server)
// answers nothing or "temporarily unavailable" (10008): worth asking again.
bool jetstream_settling(natsStatus s, jsErrCode code) {
  return s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS || code == 10008;
}

Result<void> ensure_stream(NatsClient& nats, StreamSpec spec, std::chrono::steady_clock::time_point give_up_at) {
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = spec.name;
  config.Subjects = spec.subjects.data();
  config.SubjectsLen = static_cast<int>(spec.subjects.size());
  config.MaxAge = spec.max_age_ns;
  config.Storage = spec.storage;
  // Nats-Msg-Id duplicates are dropped within this window.
  config.Duplicates = std::min<std::int64_t>(spec.duplicates_ns, spec.max_age_ns);
  config.AllowDirect = spec.allow_direct;
  config.Replicas = spec.replicas;
  jsRePublish republish;
  if (spec.republish_source != nullptr) {
    jsRePublish_Init(&republish);
    republish.Source = spec.republish_source;
    republish.Destination = spec.republish_destination;
    config.RePublish = &republish;
  }

  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, nats.jetstream(), spec.name, nullptr, &code);
  for (bool said = false; jetstream_settling(s, code) && std::chrono::steady_clock::now() < give_up_at;) {
    if (!said) obs::logger("bus")->info("JetStream on {} is not ready (no leader yet?): asking again", nats.url());
    said = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    code = static_cast<jsErrCode>(0);
    s = js_GetStreamInfo(&info, nats.jetstream(), spec.name, nullptr, &code);
  }
  if (s == NATS_OK) {
    const bool republish_changes = !republishes_as(info->Config->RePublish, spec);
    jsStreamInfo_Destroy(info);
    info = nullptr;
    if (republish_changes) return recreate_stream(nats, config, spec);
    s = js_UpdateStream(&info, nats.jetstream(), &config, nullptr, &code);
  } else if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
    s = js_AddStream(&info, nats.jetstream(), &config, nullptr, &code);
  }
  // A lone nats-server takes any replica count, says it back, and keeps one copy: only a stream
  // in a cluster (whose info names the cluster) has copies elsewhere.
  const bool in_cluster = s == NATS_OK && info != nullptr && info->Cluster != nullptr && info->Cluster->Name != nullptr &&
                          *info->Cluster->Name != '\0';
  const std::int64_t kept = in_cluster ? info->Config->Replicas : 1;
  if (info != nullptr) jsStreamInfo_Destroy(info);
  const std::string needs = "--stream-replicas " + std::to_string(spec.replicas) +
                            " needs a JetStream cluster of at least " + std::to_string(spec.replicas) + " servers";
  if (s != NATS_OK) {
    std::string what = std::string("stream ") + spec.name + " with " + std::to_string(spec.replicas) + " replica" +
                       (spec.replicas == 1 ? "" : "s") + " (JetStream code " + std::to_string(code) + ")";
    // 10074: replicas > 1 on a server without a cluster; 10005: fewer servers than replicas.
    if (spec.replicas > 1 && (code == 10074 || code == 10005 || s == NATS_TIMEOUT)) what += ": " + needs;
    return tl::unexpected(nats_error(s, what));
  }
  if (kept < spec.replicas) {
    return fail(Errc::unavailable, std::string("stream ") + spec.name + " on " + nats.url() + " keeps " +
                                       std::to_string(kept) + " cop" + (kept == 1 ? "y" : "ies") + ": " + needs);
  }
  return {};
}

}  // namespace

Result<void> ensure_streams(NatsClient& nats, const StreamOptions& options) {
  constexpr std::int64_t kDay = 24 * 3600 * kSecond;
  constexpr std::int64_t kTwoMinutes = 2 * 60 * kSecond;
  const std::int64_t dedupe_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(options.dedupe_window).count();
  const int r = options.replicas;
  const StreamSpec specs[] = {
      {kMessagesStream, {"chat.room.*.message", "chat.dm.*.message"}, 30 * kDay, js_FileStorage, dedupe_ns, true, r,
       "chat.*.*.message", "chat.live.$2.message.$1"},
      {kPresenceStream, {"chat.user.*.presence"}, 5 * 60 * kSecond, js_MemoryStorage, kTwoMinutes, false, r, nullptr,
       nullptr},
      {kTypingStream, {"chat.room.*.typing"}, 10 * kSecond, js_MemoryStorage, kTwoMinutes, false, r, "chat.room.*.typing",
       "chat.live.$1.typing"},
      {kDeadLetterStream, {"chat.deadletter.>"}, 30 * kDay, js_FileStorage, kTwoMinutes, false, r, nullptr, nullptr},
  };
  const auto give_up_at = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (const StreamSpec& spec : specs) {
    if (auto ensured = ensure_stream(nats, spec, give_up_at); !ensured) return ensured;
  }
  return {};
}

StreamMessageRequest stream_message_request(const char* stream, std::uint64_t sequence) {
  return {std::string("$JS.API.DIRECT.GET.") + stream, "{\"seq\":" + std::to_string(sequence) + "}"};
}

StreamMessageRequest newest_message_request(const char* stream, const std::string& subject) {
  return {std::string("$JS.API.DIRECT.GET.") + stream, nlohmann::json{{"last_by_subj", subject}}.dump()};
}

bool jetstream_ready(NatsClient& nats) {
  jsAccountInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetAccountInfo(&info, nats.jetstream(), nullptr, &code);
  if (info != nullptr) jsAccountInfo_Destroy(info);
  return s == NATS_OK;
}

Result<void> await_streams(NatsClient& nats, std::chrono::milliseconds patience) {
  const auto give_up_at = std::chrono::steady_clock::now() + patience;
  bool said = false;
  for (const char* stream : {kMessagesStream, kPresenceStream, kTypingStream, kDeadLetterStream}) {
    while (true) {
      jsStreamInfo* info = nullptr;
      jsErrCode code = static_cast<jsErrCode>(0);
      const natsStatus s = js_GetStreamInfo(&info, nats.jetstream(), stream, nullptr, &code);
      if (info != nullptr) jsStreamInfo_Destroy(info);
      if (s == NATS_OK) break;
      if (std::chrono::steady_clock::now() >= give_up_at) {
        return fail(Errc::unavailable, std::string("stream ") + stream + " does not exist on " + nats.url() +
                                           ": a serve with the service role creates the streams (waited " +
                                           std::to_string(patience.count() / 1000) + " s)");
      }
      if (!said) {
        obs::logger("bus")->info("waiting for stream {}: a serve with the service role creates it", stream);
        said = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  return {};
}

Result<std::vector<StreamReport>> report_streams(NatsClient& nats) {
  std::vector<StreamReport> reports;
  for (const char* stream : {kMessagesStream, kPresenceStream, kTypingStream, kDeadLetterStream}) {
    jsStreamInfo* info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&info, nats.jetstream(), stream, nullptr, &code);
    if (s != NATS_OK) return tl::unexpected(nats_error(s, std::string("stream info of ") + stream));
    StreamReport report;
    report.name = stream;
    report.messages = info->State.Msgs;
    report.bytes = info->State.Bytes;
    report.replicas = static_cast<int>(info->Config->Replicas);
    if (const jsClusterInfo* cluster = info->Cluster; cluster != nullptr) {
      report.leader = cluster->Leader != nullptr ? cluster->Leader : "";
      for (int i = 0; i < cluster->ReplicasLen; ++i) {
        const jsPeerInfo* peer = cluster->Replicas[i];
        report.peers.push_back({peer->Name != nullptr ? peer->Name : "", peer->Current, peer->Offline});
      }
    }
    jsStreamInfo_Destroy(info);
    jsConsumerInfoList* consumers = nullptr;
    if (js_Consumers(&consumers, nats.jetstream(), stream, nullptr, &code) == NATS_OK && consumers != nullptr) {
      for (int i = 0; i < consumers->Count; ++i) {
        const jsConsumerInfo* c = consumers->List[i];
        report.consumers.push_back({c->Name != nullptr ? c->Name : "", c->NumPending, c->NumAckPending});
      }
      jsConsumerInfoList_Destroy(consumers);
    }
    reports.push_back(std::move(report));
  }
  return reports;
}

Result<std::unique_ptr<PullConsumer>> PullConsumer::open(NatsClient& nats, const std::string& stream,
                                                         const std::string& durable, int max_ack_pending) {
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = durable.c_str();
  config.AckPolicy = js_AckExplicit;
  // A message delivered and then neither acked nor nak'd (its holder died or stopped, or a pull
  // cut short by a lost connection dropped it) goes to another member after this. Every writer
  // of ours is idempotent, so a redelivery during a slow write costs only a repeated insert.
  config.AckWait = 10 * kSecond;
  config.MaxAckPending = max_ack_pending;
  config.DeliverPolicy = js_DeliverAll;
  jsConsumerInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddConsumer(&info, nats.jetstream(), stream.c_str(), &config, nullptr, &code);
  if (info != nullptr) jsConsumerInfo_Destroy(info);
  // An existing consumer with another configuration is updated rather than refused.
  if (s != NATS_OK) {
    info = nullptr;
    s = js_UpdateConsumer(&info, nats.jetstream(), stream.c_str(), &config, nullptr, &code);
    if (info != nullptr) jsConsumerInfo_Destroy(info);
  }
  if (s != NATS_OK) {
    return tl::unexpected(nats_error(s, "consumer " + durable + " on " + stream + " (JetStream code " + std::to_string(code) + ")"));
  }
  jsSubOptions sub_options;
  jsSubOptions_Init(&sub_options);
  sub_options.Stream = stream.c_str();
  sub_options.Consumer = durable.c_str();
  natsSubscription* sub = nullptr;
  s = js_PullSubscribe(&sub, nats.jetstream(), nullptr, durable.c_str(), nullptr, &sub_options, &code);
  if (s != NATS_OK) {
    return tl::unexpected(nats_error(s, "pull subscription " + durable + " (JetStream code " + std::to_string(code) + ")"));
  }
  return std::unique_ptr<PullConsumer>(new PullConsumer(sub, nats.reaper()));
}

PullConsumer::~PullConsumer() {
  // The durable consumer stays on the server (the subscription bound to it and did not create
  // it, so unsubscribing does not delete it); only this process's interest ends. Freed later,
  // for the reason in subscription_reaper.hpp.
  natsSubscription_Unsubscribe(sub_);
  reaper_->retire(sub_);
}

namespace {

// One pull request; NATS_TIMEOUT and "no messages" are an empty result, not an error.
Result<std::vector<MsgPtr>> pull(natsSubscription* sub, jsFetchRequest& request) {
  natsMsgList list{};
  natsStatus s = natsSubscription_FetchRequest(&list, sub, &request);
  std::vector<MsgPtr> out;
  if (s == NATS_TIMEOUT || s == NATS_NOT_FOUND) return out;
  if (s != NATS_OK) return tl::unexpected(nats_error(s, "fetch"));
  out.reserve(static_cast<std::size_t>(list.Count));
  for (int i = 0; i < list.Count; ++i) {
    out.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;  // now owned by `out`
  }
  natsMsgList_Destroy(&list);
  return out;
}

}  // namespace

Result<std::vector<MsgPtr>> PullConsumer::fetch(int batch, std::chrono::milliseconds wait) {
  // Whatever is there now, up to a full batch: under load, batches fill at once.
  jsFetchRequest now;
  jsFetchRequest_Init(&now);
  now.Batch = batch;
  now.NoWait = true;
  now.Expires = 1000 * 1000 * wait.count();
  auto available = pull(sub_, now);
  if (!available || !available->empty()) return available;
  // Idle: wait for the first message alone, so that a quiet stream is not held back waiting
  // for a batch to fill. The messages that follow it come with the next call.
  jsFetchRequest first;
  jsFetchRequest_Init(&first);
  first.Batch = 1;
  first.Expires = 1000 * 1000 * wait.count();
  return pull(sub_, first);
}

void ack(natsMsg* msg) { natsMsg_Ack(msg, nullptr); }
void nak(natsMsg* msg, std::chrono::milliseconds delay) { natsMsg_NakWithDelay(msg, delay.count(), nullptr); }
void term(natsMsg* msg) { natsMsg_Term(msg, nullptr); }

}  // namespace parkchat::bus
