#include "core/bus/async_requester.hpp"

#include <cstdlib>
#include <cstring>
#include <vector>

namespace parkchat::bus {

Result<std::unique_ptr<AsyncRequester>> AsyncRequester::open(NatsClient& nats) {
  std::unique_ptr<AsyncRequester> requester(new AsyncRequester(nats));
  natsInbox* inbox = nullptr;
  if (natsStatus s = natsInbox_Create(&inbox); s != NATS_OK) return tl::unexpected(nats_error(s, "inbox"));
  requester->inbox_ = inbox;
  natsInbox_Destroy(inbox);
  auto* self = requester.get();
  auto sub = nats.subscribe(requester->inbox_ + ".*", "", [self](MsgPtr msg) { self->on_reply(std::move(msg)); });
  if (!sub) return tl::unexpected(sub.error());
  requester->sub_.emplace(std::move(*sub));
  requester->timer_ = std::thread([self] { self->expire_loop(); });
  return requester;
}

AsyncRequester::~AsyncRequester() {
  sub_.reset();
  std::map<std::uint64_t, Pending> left;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    left.swap(pending_);
  }
  changed_.notify_all();
  if (timer_.joinable()) timer_.join();
  for (auto& [id, p] : left) p.reply(fail(Errc::unavailable, "shutting down before " + p.subject + " replied"));
}

std::size_t AsyncRequester::pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

void AsyncRequester::request(const std::string& subject, std::string_view data, std::chrono::milliseconds timeout,
                             Reply reply) {
  // A disconnected client would buffer the request and let it time out: say so now instead.
  if (!nats_.connected()) {
    reply(fail(Errc::unavailable, "NATS at " + nats_.url() + " is unavailable"));
    return;
  }
  std::uint64_t id;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    pending_.emplace(id, Pending{std::move(reply), subject, std::chrono::steady_clock::now() + timeout});
  }
  // No wake-up of the timer: it looks at least once a second, so a deadline is kept to within
  // a second without a scan per request.
  const std::string reply_to = inbox_ + "." + std::to_string(id);
  natsStatus s = natsConnection_PublishRequest(nats_.connection(), subject.c_str(), reply_to.c_str(), data.data(),
                                               static_cast<int>(data.size()));
  if (s != NATS_OK) {
    if (auto p = take(id)) p->reply(tl::unexpected(nats_error(s, "request on " + subject)));
  }
}

std::optional<AsyncRequester::Pending> AsyncRequester::take(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = pending_.find(id);
  if (it == pending_.end()) return std::nullopt;
  Pending p = std::move(it->second);
  pending_.erase(it);
  return p;
}

void AsyncRequester::on_reply(MsgPtr msg) {
  const char* subject = natsMsg_GetSubject(msg.get());
  const char* dot = subject != nullptr ? std::strrchr(subject, '.') : nullptr;
  if (dot == nullptr) return;
  auto p = take(std::strtoull(dot + 1, nullptr, 10));
  if (!p) return;  // late: already timed out
  if (natsMsg_IsNoResponders(msg.get())) {
    p->reply(fail(Errc::unavailable, "no service answers " + p->subject));
    return;
  }
  p->reply(std::string(payload(msg.get())));
}

void AsyncRequester::expire_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    std::vector<Pending> expired;
    auto next = now + std::chrono::seconds(1);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.deadline <= now) {
        expired.push_back(std::move(it->second));
        it = pending_.erase(it);
      } else {
        next = std::min(next, it->second.deadline);
        ++it;
      }
    }
    if (!expired.empty()) {
      lock.unlock();
      for (auto& p : expired) p.reply(fail(Errc::unavailable, "no reply on " + p.subject + " in time"));
      lock.lock();
      continue;
    }
    changed_.wait_until(lock, next);
  }
}

}  // namespace parkchat::bus
