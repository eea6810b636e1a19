#pragma once
// Where unsubscribed nats.c subscriptions wait before they are freed.
//
// nats.c before 3.6 (Debian 12 ships 3.4.1) looks a subscription up in the connection's read
// loop and then locks it without holding a reference (nats-io/nats.c#637, fixed by #638). A
// subscription unsubscribed and destroyed at once can be freed between the two, and the read
// loop then locks freed memory: the gateway crashed that way when thousands of sockets left their
// rooms together. Unsubscribing removes the subscription from the lookup, so only a message the
// read loop had already started on can still reach it. The reaper frees a subscription only after
// a flush that began later has returned: the server answers that PING after everything it sent
// before, and the read loop handles the PONG after it has finished with those messages. No timer
// guesses how long a preempted thread may take.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <nats/nats.h>

namespace parkchat::bus {

class SubscriptionReaper {
 public:
  explicit SubscriptionReaper(natsConnection* conn);
  ~SubscriptionReaper();
  SubscriptionReaper(const SubscriptionReaper&) = delete;
  SubscriptionReaper& operator=(const SubscriptionReaper&) = delete;

  // Takes an unsubscribed (or closed) subscription and frees it once the read loop can no longer
  // hold it. Never blocks; callable from any thread, also from a nats.c callback.
  void retire(natsSubscription* sub);

  // Stops the flushing thread. The caller closes the connection next (which joins the read loop)
  // and then calls free_remaining(); a subscription retired after stop() is freed at once.
  void stop();
  void free_remaining();

  // Subscriptions retired and not yet freed (for tests).
  std::size_t waiting() const;

 private:
  void run();

  natsConnection* conn_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<natsSubscription*> waiting_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace parkchat::bus
