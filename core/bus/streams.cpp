#include "core/bus/streams.hpp"

#include <algorithm>

#include "core/obs/log.hpp"

namespace parkchat::bus {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

struct StreamSpec {
  const char* name;
  std::vector<const char*> subjects;
  std::int64_t max_age_ns;
  jsStorageType storage;
};

Result<void> ensure_stream(NatsClient& nats, StreamSpec spec) {
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = spec.name;
  config.Subjects = spec.subjects.data();
  config.SubjectsLen = static_cast<int>(spec.subjects.size());
  config.MaxAge = spec.max_age_ns;
  config.Storage = spec.storage;
  // Nats-Msg-Id duplicates are dropped within this window.
  config.Duplicates = std::min<std::int64_t>(2 * 60 * kSecond, spec.max_age_ns);

  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&info, nats.jetstream(), spec.name, nullptr, &code);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(info);
    info = nullptr;
    s = js_UpdateStream(&info, nats.jetstream(), &config, nullptr, &code);
  } else if (s == NATS_NOT_FOUND || code == JSStreamNotFoundErr) {
    s = js_AddStream(&info, nats.jetstream(), &config, nullptr, &code);
  }
  if (info != nullptr) jsStreamInfo_Destroy(info);
  if (s != NATS_OK) {
    return tl::unexpected(nats_error(s, std::string("stream ") + spec.name + " (JetStream code " + std::to_string(code) + ")"));
  }
  return {};
}

}  // namespace

Result<void> ensure_streams(NatsClient& nats) {
  const StreamSpec specs[] = {
      {kMessagesStream, {"chat.room.*.message", "chat.dm.*.message"}, 30 * 24 * 3600 * kSecond, js_FileStorage},
      {kPresenceStream, {"chat.user.*.presence"}, 5 * 60 * kSecond, js_MemoryStorage},
      {kTypingStream, {"chat.room.*.typing"}, 10 * kSecond, js_MemoryStorage},
      {kDeadLetterStream, {"chat.deadletter.>"}, 30 * 24 * 3600 * kSecond, js_FileStorage},
  };
  for (const StreamSpec& spec : specs) {
    if (auto r = ensure_stream(nats, spec); !r) return r;
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
    StreamReport report{stream, info->State.Msgs, info->State.Bytes, {}};
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
  config.AckWait = 30 * kSecond;
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
