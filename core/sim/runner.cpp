#include "core/sim/runner.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <unordered_set>
#include <vector>

#include <sys/resource.h>
#include <time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/auth/token.hpp"
#include "core/base/clock.hpp"
#include "core/base/uuid.hpp"
#include "core/client/catch_up.hpp"
#include "core/client/chat_session.hpp"
#include "core/client/rest_client.hpp"
#include "core/client/socketio_client.hpp"
#include "core/sim/history_check.hpp"
#include "core/sim/job_threads.hpp"
#include "core/sim/report.hpp"

namespace parkchat::sim {
namespace {

using Clock = std::chrono::steady_clock;
using Timer = boost::asio::steady_timer;

std::int64_t micros_since(Clock::time_point origin) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - origin).count();
}

// A send waiting for its ack; kept across a reconnect and sent again with the same id.
struct UnackedSend {
  std::string id;
  std::string content;
  std::int64_t sent_at = 0;    // µs since the run's origin, of the first attempt
  std::int64_t tried_at = 0;   // of the latest attempt
  std::vector<int> owed;       // every member in the room, connected or reconnecting
  std::vector<int> forgiving;  // the members joined and connected at the time
};

struct SimClient {
  int index = 0;
  std::int64_t user_id = 0;
  int room = 0;
  std::string token;
  std::shared_ptr<client::SocketIoClient> socket;
  std::unique_ptr<Timer> timer;        // the next send, or the pause before a reconnect
  std::unique_ptr<Timer> churn_timer;  // the next reconnect or rejoin
  Clock::time_point connect_started;
  int generation = 0;                  // of its socket: callbacks of an older one are ignored
  bool joined = false;
  bool ever_joined = false;
  bool away_on_purpose = false;  // left its room (rejoin churn): owed nothing meanwhile
  // What it holds, for the catch-up after a rejoin: the newest receipt's send time (µs since
  // the origin), or when it first joined.
  std::int64_t complete_until = 0;
  std::vector<UnackedSend> unacked;  // to send again once joined again
  // Messages it caught up on from history: their live delivery may still come (history and the
  // live stream race), and is merged by id as an app would, not counted twice.
  std::unordered_set<std::string> caught_up_ids;
  std::uint64_t seq = 0;
  int in_flight = 0;       // sends not yet acknowledged
  bool last_rest = false;  // the channel of the last send
};

struct SimRoom {
  std::string id;
  std::vector<int> members;  // client indexes
};

// What each loop's run shows of itself for the progress line, read by another thread.
struct LoopFigures {
  std::atomic<int> connected{0};
  std::atomic<int> target{0};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::int64_t> delivery_p99_us{0};
};

// The CPU time of the calling thread.
std::chrono::nanoseconds thread_cpu() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

// Everything of a run that lives on the clients' thread.
class Run {
 public:
  // Drives the clients `owned` (whole rooms: every recipient of a room's messages is here, so
  // this run's verifier sees each delivery) on `loop`.
  Run(const RunOptions& options, client::ClientLoop& loop, JobThreads& rest, std::vector<SimClient>& clients,
      std::vector<SimRoom>& rooms, std::vector<int> owned, Report& report, LoopFigures& figures)
      : options_(options),
        loop_(loop),
        rest_(rest),
        clients_(clients),
        rooms_(rooms),
        owned_(std::move(owned)),
        report_(report),
        figures_(figures),
        ticker_(loop.io_context()),
        random_(std::random_device{}()) {}

  // Starts on the loop thread; `done` is set once the run has drained.
  void start(std::promise<void>& done) {
    done_ = &done;
    origin_ = Clock::now();
    wall_origin_ = now_micros();
    cpu_at_start_ = thread_cpu();
    figures_.target = static_cast<int>(owned_.size());
    send_until_ = origin_ + options_.scenario.ramp_up + options_.scenario.duration;
    tick();
  }

 private:
  const Scenario& scenario() const { return options_.scenario; }

  // Once every 10 ms: connect the clients whose ramp-up moment has come; once a second: progress.
  void tick() {
    const auto now = Clock::now();
    const double ramp = static_cast<double>(std::max<std::int64_t>(scenario().ramp_up.count(), 1));
    const double due = std::min(1.0, std::chrono::duration<double, std::milli>(now - origin_).count() / ramp);
    const int target = static_cast<int>(due * static_cast<double>(owned_.size()));
    while (next_connect_ < static_cast<int>(owned_.size()) && next_connect_ <= target) {
      connect(clients_[static_cast<std::size_t>(owned_[static_cast<std::size_t>(next_connect_++)])]);
    }
    if (now - last_progress_ >= std::chrono::seconds(1)) report_progress(now);
    if (now >= send_until_) return drain(now);
    if (storms_done_ < scenario().storms) {
      const auto storm_at = origin_ + scenario().ramp_up + scenario().duration * (storms_done_ + 1) / (scenario().storms + 1);
      if (now >= storm_at) {
        ++storms_done_;
        for (int i : owned_) {
          SimClient& c = clients_[static_cast<std::size_t>(i)];
          if (c.joined && std::uniform_real_distribution<double>(0, 1)(random_) < scenario().storm_share) reconnect(c);
        }
      }
    }
    ticker_.expires_after(std::chrono::milliseconds(10));
    ticker_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  }

  // Once a second: this loop's figures for the progress line.
  void report_progress(Clock::time_point now) {
    figures_.connected = joined_;
    figures_.sent = report_.sent;
    figures_.delivered = receipts_;
    figures_.delivery_p99_us = report_.delivery_latency.percentile(99);
    last_progress_ = now;
  }

  void connect(SimClient& c) {
    client::SocketIoOptions socket_options;
    const auto servers = servers_of(c);
    socket_options.server = servers.front();
    socket_options.other_servers.assign(servers.begin() + 1, servers.end());
    socket_options.auth = {{"token", c.token}};
    socket_options.connect_timeout = std::chrono::seconds(20);
    // A lost connection is mended as an app would: reconnect, rejoin, catch up, resend.
    socket_options.reconnect = true;
    socket_options.reconnect_first = std::chrono::milliseconds(250);
    socket_options.reconnect_max = std::chrono::seconds(4);
    client::SocketIoHandlers handlers;
    const int index = c.index;
    const int generation = ++c.generation;
    auto current = [this, index, generation] { return clients_[static_cast<std::size_t>(index)].generation == generation; };
    handlers.connected = [this, index, current](const nlohmann::json&) {
      if (current()) on_connected(index);
    };
    handlers.refused = [this, index, current](const nlohmann::json&) {
      if (!current()) return;
      ++report_.errors["UNAUTHORIZED"];
      on_lost(index);
    };
    handlers.disconnected = [this, index, current](const std::string&, std::optional<std::chrono::milliseconds>) {
      if (!current()) return;
      ++report_.errors["DISCONNECTED"];
      on_lost(index);
    };
    handlers.event = [this, index, current](const std::string& event, const nlohmann::json& args) {
      if (current() && event == "new_message" && !args.empty()) on_message(index, args[0], false);
    };
    c.connect_started = Clock::now();
    if (!c.timer) c.timer = std::make_unique<Timer>(loop_.io_context());
    if (!c.churn_timer) c.churn_timer = std::make_unique<Timer>(loop_.io_context());
    c.socket = client::SocketIoClient::create(loop_, socket_options, handlers);
    c.socket->connect();
  }

  // The gateways in the order client `c` tries them: its own (clients are dealt out over them
  // in turn), then the others.
  std::vector<client::ServerUrl> servers_of(const SimClient& c) const {
    const auto& all = options_.servers;
    std::vector<client::ServerUrl> order;
    for (std::size_t i = 0; i < all.size(); ++i) order.push_back(all[(static_cast<std::size_t>(c.index) + i) % all.size()]);
    return order;
  }

  void on_connected(int index) {
    SimClient& c = clients_[static_cast<std::size_t>(index)];
    if (!c.ever_joined) report_.socket_open_time.record(micros_since(c.connect_started));
    join(c);
  }

  void join(SimClient& c) {
    const int index = c.index;
    const int generation = c.generation;
    nlohmann::json payload = {{"roomId", rooms_[static_cast<std::size_t>(c.room)].id}};
    if (c.ever_joined) payload["resume"] = true;  // back after a reconnect or a rejoin: catch up
    c.socket->emit("join_room", std::move(payload), [this, index, generation](Result<nlohmann::json> args) {
      SimClient& joined = clients_[static_cast<std::size_t>(index)];
      if (joined.generation != generation) return;
      auto ack = client::ack_result(args);
      if (!ack) {
        ++report_.errors[args ? std::string(code_name(ack.error().code)) + " (join)" : "JOIN_TIMEOUT"];
        // Not served now (no answer, or UNAVAILABLE): asked again while this socket lasts; a
        // lost connection joins again by itself once it is back.
        if (!args || ack.error().code == Errc::unavailable) retry_join(joined, generation);
        return;
      }
      if (joined.joined) return;
      joined.joined = true;
      joined.away_on_purpose = false;
      ++joined_;
      if (!joined.ever_joined) {
        joined.ever_joined = true;
        joined.complete_until = micros_since(origin_);
        report_.connect_time.record(micros_since(joined.connect_started));
        schedule_churn(joined);
      } else {
        catch_up(joined, *ack);
        std::vector<UnackedSend> unacked;
        unacked.swap(joined.unacked);
        for (auto& send : unacked) emit_send(joined, std::move(send));
      }
      schedule_send(joined);
    });
  }

  void retry_join(SimClient& c, int generation) {
    after(std::chrono::milliseconds(500), [this, index = c.index, generation] {
      SimClient& again = clients_[static_cast<std::size_t>(index)];
      if (again.generation == generation && !again.joined) join(again);
    });
  }

  // Runs `task` on the loop after `delay`, unless the run is released first.
  void after(std::chrono::milliseconds delay, std::function<void()> task) {
    auto timer = std::make_shared<Timer>(loop_.io_context());
    timer->expires_after(delay);
    one_off_timers_.insert(timer);
    timer->async_wait([this, timer, task = std::move(task)](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled by release(): the run may be gone
      one_off_timers_.erase(timer);
      task();
    });
  }

  // After a rejoin: what the room got meanwhile, from history, up to the newest message the
  // join's answer named; a receipt like any other, once per message.
  void catch_up(SimClient& c, const nlohmann::json& join_answer) {
    std::optional<std::string> newest;
    if (join_answer.contains("newestMessageId") && join_answer["newestMessageId"].is_string()) {
      newest = join_answer["newestMessageId"].get<std::string>();
      if (strict_.received(c.index, *newest)) newest.reset();
    }
    // Sent before this moment less the overlap: received already, or in the pages read.
    read_gap(c, wall_origin_ + c.complete_until, newest, 20);
  }

  // One catch-up's history read, on a job thread; read again (the same gap: live receipts since
  // have moved complete_until on) when history could not be read at all.
  void read_gap(const SimClient& c, std::int64_t since, std::optional<std::string> newest, int attempts) {
    ++catch_ups_;
    rest_.submit([this, index = c.index, server = servers_of(c), token = c.token,
                  room_id = rooms_[static_cast<std::size_t>(c.room)].id, since, newest, attempts] {
      client::RestClient rest(server, token);
      auto found = client::catch_up(
          [&](const std::optional<std::string>& cursor) { return rest.history(room_id, 100, cursor); }, since, newest);
      loop_.post([this, index, since, newest, attempts, found = std::move(found)] {
        --catch_ups_;
        if (!found) {
          ++report_.errors["CATCH_UP (history unreadable" + std::string(attempts > 1 ? "; read again)" : ")")];
          if (attempts > 1) {
            after(std::chrono::milliseconds(500), [this, index, since, newest, attempts] {
              read_gap(clients_[static_cast<std::size_t>(index)], since, newest, attempts - 1);
            });
          }
          return;
        }
        if (!found->reached_newest) ++report_.errors["CATCH_UP (newest message not in history in time)"];
        for (const auto& m : found->messages) on_message(index, m, true);
      });
    });
  }

  // The client is out of its room for a while. What it misses it must catch up on once back,
  // unless it left on purpose; the forgiving count forgives it everything from now on.
  void mark_away(SimClient& c) {
    if (c.joined) --joined_;
    c.joined = false;
    verifier_unstable_.insert(c.index);
    if (c.timer) c.timer->cancel();
  }

  void on_lost(int index) { mark_away(clients_[static_cast<std::size_t>(index)]); }

  // Churn: the next reconnect or rejoin of a client, whichever the dice say comes first.
  void schedule_churn(SimClient& c) {
    auto draw = [&](std::chrono::milliseconds mean) {
      if (mean.count() <= 0) return std::chrono::milliseconds::max();
      const double ms = std::exponential_distribution<double>(1.0 / static_cast<double>(mean.count()))(random_);
      return std::chrono::milliseconds(static_cast<std::int64_t>(ms) + 1);
    };
    const auto reconnect_in = draw(scenario().reconnect_every);
    const auto rejoin_in = draw(scenario().rejoin_every);
    if (reconnect_in == std::chrono::milliseconds::max() && rejoin_in == std::chrono::milliseconds::max()) return;
    const bool reconnecting = reconnect_in <= rejoin_in;
    c.churn_timer->expires_after(std::min(reconnect_in, rejoin_in));
    const int index = c.index;
    c.churn_timer->async_wait([this, index, reconnecting](const boost::system::error_code& ec) {
      if (ec || Clock::now() >= send_until_) return;
      SimClient& churned = clients_[static_cast<std::size_t>(index)];
      if (reconnecting) {
        reconnect(churned);
      } else {
        rejoin(churned);
      }
      schedule_churn(churned);
    });
  }

  // Drops the connection and connects again after a short pause.
  void reconnect(SimClient& c) {
    if (!c.socket) return;
    mark_away(c);
    ++report_.errors["RECONNECTS (churn)"];
    c.socket->close();
    ++c.generation;  // the closed socket's late callbacks are ignored
    c.timer->expires_after(std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 1000)(random_)));
    const int index = c.index;
    // Also once sending is over: the client is owed what it missed until the run ends.
    c.timer->async_wait([this, index](const boost::system::error_code& ec) {
      if (!ec) connect(clients_[static_cast<std::size_t>(index)]);
    });
  }

  // Leaves the room and joins it again on the same connection.
  void rejoin(SimClient& c) {
    if (!c.joined) return;
    mark_away(c);
    c.away_on_purpose = true;
    ++report_.errors["REJOINS (churn)"];
    const int index = c.index;
    const int generation = c.generation;
    c.socket->emit("leave_room", {{"roomId", rooms_[static_cast<std::size_t>(c.room)].id}}, [this, index, generation](Result<nlohmann::json>) {
      SimClient& back = clients_[static_cast<std::size_t>(index)];
      if (back.generation == generation) join(back);
    });
  }

  std::chrono::microseconds think_time() {
    const double mean = 1e6 / scenario().rate;
    double gap = mean;
    if (scenario().think_time == "uniform") {
      gap = std::uniform_real_distribution<double>(0, 2 * mean)(random_);
    } else {
      gap = std::exponential_distribution<double>(1.0 / mean)(random_);
    }
    return std::chrono::microseconds(static_cast<std::int64_t>(gap));
  }

  void schedule_send(SimClient& c) {
    if (scenario().rate <= 0) return;
    c.timer->expires_after(think_time());
    const int index = c.index;
    c.timer->async_wait([this, index](const boost::system::error_code& ec) {
      if (!ec) send(clients_[static_cast<std::size_t>(index)]);
    });
  }

  void send(SimClient& c) {
    if (!c.joined || Clock::now() >= send_until_) return;
    if (first_send_ == Clock::time_point{}) first_send_ = Clock::now();
    const SimRoom& room = rooms_[static_cast<std::size_t>(c.room)];
    if (scenario().typing_share > 0 && std::uniform_real_distribution<double>(0, 1)(random_) < scenario().typing_share) {
      c.socket->emit("typing", {{"roomId", room.id}, {"isTyping", true}});
    }
    // The socket keeps one sender's order (one stream, one gateway); REST does not: each request
    // has its own connection, and two in flight at once may be stored in either order. So a REST
    // send, like a switch of channel, waits for the sends in flight, as a real client does.
    const bool use_rest = scenario().rest_share > 0 && std::uniform_real_distribution<double>(0, 1)(random_) < scenario().rest_share;
    if (c.in_flight > 0 && (use_rest || c.last_rest)) return schedule_send(c);
    c.last_rest = use_rest;
    ++c.in_flight;
    const std::uint64_t seq = ++c.seq;
    UnackedSend send;
    send.id = new_uuid();  // the client's, so that a resend is known for what it is
    send.sent_at = micros_since(origin_);
    send.content = "sim:" + std::to_string(c.index) + ":" + std::to_string(seq) + ":" + std::to_string(send.sent_at) + ":";
    if (static_cast<int>(send.content.size()) < scenario().message_bytes) {
      send.content.append(static_cast<std::size_t>(scenario().message_bytes) - send.content.size(), 'x');
    }
    for (int member : room.members) {
      if (member == c.index) continue;
      const SimClient& other = clients_[static_cast<std::size_t>(member)];
      if (other.ever_joined && !other.away_on_purpose) send.owed.push_back(member);
      if (other.joined) send.forgiving.push_back(member);
    }
    ++report_.sent;
    ++pending_acks_;
    if (use_rest) {
      send_by_rest(c, std::move(send));
    } else {
      emit_send(c, std::move(send));
    }
    schedule_send(c);
  }

  void emit_send(SimClient& c, UnackedSend send) {
    const int index = c.index;
    const int generation = c.generation;
    send.tried_at = micros_since(origin_);
    nlohmann::json payload = {{"id", send.id}, {"roomId", rooms_[static_cast<std::size_t>(c.room)].id},
                              {"content", send.content}, {"type", "TEXT"}};
    c.socket->emit(
        "send_message", std::move(payload),
        [this, index, generation, send = std::move(send)](Result<nlohmann::json> args) mutable {
          SimClient& sender = clients_[static_cast<std::size_t>(index)];
          auto ack = client::ack_result(args);
          // No answer (the connection dropped, or none in time), or the server cannot take it
          // now: sent again with the same id, so it is stored and delivered once either way.
          if (!ack && (!args || ack.error().code == Errc::unavailable)) {
            ++report_.errors[args ? "UNAVAILABLE (resent)" : "NO ACK (resent)"];
            return resend(sender, generation, std::move(send), args ? retry_after(*args) : std::chrono::milliseconds(0));
          }
          --pending_acks_;
          --sender.in_flight;
          if (!ack) {
            ++report_.errors[std::string(code_name(ack.error().code))];
            return;
          }
          on_acked(index, send, (*ack)["message"].value("id", ""));
        },
        std::chrono::seconds(10));
  }

  // The server's retry hint in a refusal's ack, if it gave one.
  static std::chrono::milliseconds retry_after(const nlohmann::json& args) {
    const nlohmann::json& ack = args.is_array() && !args.empty() ? args[0] : args;
    if (ack.contains("error") && ack["error"].is_object() && ack["error"].contains("retryAfterMs") &&
        ack["error"]["retryAfterMs"].is_number()) {
      return std::chrono::milliseconds(ack["error"]["retryAfterMs"].get<std::int64_t>());
    }
    return std::chrono::milliseconds(200);
  }

  void resend(SimClient& c, int generation, UnackedSend send, std::chrono::milliseconds delay) {
    ++report_.resent;
    if (c.generation != generation || !c.joined) {
      c.unacked.push_back(std::move(send));  // sent once the client is back in its room
      return;
    }
    // std::function needs a copyable task: the send rides in a shared_ptr.
    auto waiting = std::make_shared<UnackedSend>(std::move(send));
    after(delay, [this, index = c.index, generation, waiting] {
      SimClient& again = clients_[static_cast<std::size_t>(index)];
      if (again.generation == generation && again.joined) return emit_send(again, std::move(*waiting));
      again.unacked.push_back(std::move(*waiting));
    });
  }

  void on_acked(int index, const UnackedSend& send, const std::string& id) {
    ++report_.acked;
    const std::int64_t now = micros_since(origin_);
    report_.ack_latency.record(now - send.sent_at);
    report_.attempt_latency.record(now - send.tried_at);
    acked_ids_[clients_[static_cast<std::size_t>(index)].room].push_back(id);
    strict_.acked(id, index, send.owed);
    forgiving_.acked(id, index, send.forgiving);
  }

  void send_by_rest(SimClient& c, UnackedSend send) {
    const int index = c.index;
    rest_.submit([this, server = servers_of(c), token = c.token, room_id = rooms_[static_cast<std::size_t>(c.room)].id,
                  index, send = std::move(send)]() mutable {
      client::RestClient rest(server, token);
      // Its ack latency counts from the request, not from the wait for a free job thread: an
      // app's REST call waits for no other client's.
      send.sent_at = micros_since(origin_);
      send.tried_at = send.sent_at;
      auto stored = rest.send_message(room_id, send.id, send.content, "TEXT");
      loop_.post([this, stored = std::move(stored), index, send = std::move(send)]() mutable {
        --pending_acks_;
        --clients_[static_cast<std::size_t>(index)].in_flight;
        if (!stored) {
          ++report_.errors[std::string(code_name(stored.error().code)) + " (REST)"];
          return;
        }
        ++report_.rest_sends;
        on_acked(index, send, stored->value("id", ""));
      });
    });
  }

  // A message reached client `index`: live, or from history when it caught up after a rejoin
  // (then only if it was not there already).
  void on_message(int index, const nlohmann::json& message, bool from_history) {
    const std::string content = message.value("content", "");
    if (content.rfind("sim:", 0) != 0) return;  // not ours (SYSTEM messages)
    const std::string id = message.value("id", "");
    SimClient& recipient = clients_[static_cast<std::size_t>(index)];
    if (from_history) {
      if (strict_.received(index, id)) return;
      recipient.caught_up_ids.insert(id);
    } else if (recipient.caught_up_ids.erase(id) != 0) {
      return;  // had it from history already
    }
    // sim:<sender>:<seq>:<sent at µs>:
    std::size_t a = 4;
    std::size_t b = content.find(':', a);
    std::size_t c = content.find(':', b + 1);
    std::size_t d = content.find(':', c + 1);
    if (b == std::string::npos || c == std::string::npos || d == std::string::npos) return;
    const int sender = std::stoi(content.substr(a, b - a));
    const std::uint64_t seq = std::stoull(content.substr(b + 1, c - b - 1));
    const std::int64_t sent_at = std::stoll(content.substr(c + 1, d - c - 1));
    if (from_history) {
      ++report_.caught_up;
    } else {
      report_.delivery_latency.record(micros_since(origin_) - sent_at);
      recipient.complete_until = std::max(recipient.complete_until, sent_at);
    }
    ++receipts_;
    strict_.delivered(index, id, sender, seq, from_history);
    forgiving_.delivered(index, id, sender, seq, from_history);
  }

  // Sending is over: wait for the last acks and deliveries, then close: 10 s, and longer (up to
  // a minute) while they are still arriving, so that a server far behind is reported as slow,
  // not as losing what it delivers late.
  void drain(Clock::time_point now) {
    if (drain_started_ == Clock::time_point{}) {
      drain_started_ = now;
      last_arrival_ = now;
      arrivals_seen_ = receipts_ + report_.acked;
      report_.send_seconds = first_send_ == Clock::time_point{} ? 0 : std::chrono::duration<double>(now - first_send_).count();
    }
    const bool settled =
        pending_acks_ == 0 && catch_ups_ == 0 && strict_.owed_received() >= strict_.expected_count();
    if (receipts_ + report_.acked != arrivals_seen_) {
      arrivals_seen_ = receipts_ + report_.acked;
      last_arrival_ = now;
    }
    const bool arriving = now - last_arrival_ < std::chrono::seconds(2) && now - drain_started_ < std::chrono::minutes(1);
    if (!settled && (now - drain_started_ < std::chrono::seconds(10) || arriving)) {
      ticker_.expires_after(std::chrono::milliseconds(20));
      ticker_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) drain(Clock::now());
      });
      return;
    }
    for (int i : verifier_unstable_) forgiving_.unstable(i);
    report_.connected = joined_;
    report_.target = static_cast<int>(owned_.size());
    for (int i : owned_) {
      SimClient& c = clients_[static_cast<std::size_t>(i)];
      if (c.timer) c.timer->cancel();
      if (c.churn_timer) c.churn_timer->cancel();
      if (c.socket) c.socket->close();
    }
    report_.deliveries = strict_.finish();
    report_.forgiving = forgiving_.finish();
    for (int i : owned_) report_.never_acked += clients_[static_cast<std::size_t>(i)].unacked.size();
    report_.failed = static_cast<int>(std::count_if(owned_.begin(), owned_.end(), [this](int i) {
      return !clients_[static_cast<std::size_t>(i)].ever_joined;
    }));
    // How busy this loop's thread was: near 1, the simulator, not the server, set the pace.
    const double wall = std::chrono::duration<double>(Clock::now() - origin_).count();
    report_.busiest_loop_share = wall > 0 ? std::chrono::duration<double>(thread_cpu() - cpu_at_start_).count() / wall : 0;
    report_progress(now);
    done_->set_value();
  }

 public:
  // On the loop's thread, once the run is over: the timers and sockets of its clients go.
  void release() {
    for (const auto& timer : one_off_timers_) timer->cancel();
    one_off_timers_.clear();
    for (int i : owned_) {
      SimClient& c = clients_[static_cast<std::size_t>(i)];
      c.timer.reset();
      c.churn_timer.reset();
      c.socket.reset();
    }
  }

  std::map<int, std::vector<std::string>> acked_ids_;  // room -> acked message ids

 private:
  const RunOptions& options_;
  client::ClientLoop& loop_;
  JobThreads& rest_;
  std::vector<SimClient>& clients_;
  std::vector<SimRoom>& rooms_;
  std::vector<int> owned_;
  Report& report_;
  LoopFigures& figures_;
  std::chrono::nanoseconds cpu_at_start_{0};
  Timer ticker_;
  std::mt19937_64 random_;
  std::promise<void>* done_ = nullptr;
  Clock::time_point origin_;
  Clock::time_point send_until_;
  Clock::time_point first_send_;
  Clock::time_point drain_started_;
  Clock::time_point last_arrival_;        // of the last ack or delivery while draining
  std::uint64_t arrivals_seen_ = 0;
  Clock::time_point last_progress_;
  std::uint64_t receipts_ = 0;
  int next_connect_ = 0;
  int joined_ = 0;
  int storms_done_ = 0;
  std::int64_t pending_acks_ = 0;
  // Strict: every acknowledged message is owed to every member for the whole run, reconnects
  // included (a client is owed nothing while it has left its room on purpose). Forgiving: owed
  // only to those joined at the time, and nothing to a client after it first lost its room.
  DeliveryVerifier strict_;
  DeliveryVerifier forgiving_;
  std::set<int> verifier_unstable_;
  int catch_ups_ = 0;  // history reads under way
  std::set<std::shared_ptr<Timer>> one_off_timers_;
  std::int64_t wall_origin_ = 0;  // origin_ as µs since the epoch
};

// Creates the rooms through the API, a few at a time.
Result<void> create_rooms(const RunOptions& options, std::vector<SimClient>& clients, std::vector<SimRoom>& rooms,
                          std::int64_t booking_base) {
  std::string service_token;
  if (options.scenario.room_type == "BOOKING") {
    auto minted = auth::mint_token({0, "booking system", true}, options.jwt_secret, std::chrono::hours(6));
    if (!minted) return tl::unexpected(minted.error());
    service_token = std::move(*minted);
  }
  std::atomic<std::size_t> next{0};
  std::mutex failure_mutex;
  std::optional<Error> failure;
  auto worker = [&] {
    for (std::size_t r = next++; r < rooms.size(); r = next++) {
      SimRoom& room = rooms[r];
      const SimClient& owner = clients[static_cast<std::size_t>(room.members.front())];
      const bool booking = options.scenario.room_type == "BOOKING";
      // A BOOKING room is made by the booking system (a service token) with every participant;
      // a GROUP room by its first member with the others.
      std::vector<std::int64_t> others;
      for (std::size_t i = booking ? 0 : 1; i < room.members.size(); ++i) {
        others.push_back(clients[static_cast<std::size_t>(room.members[i])].user_id);
      }
      client::RestClient rest(options.servers, booking ? service_token : owner.token);
      auto created = rest.create_room(options.scenario.room_type, "sim " + std::to_string(r), others,
                                      booking ? std::optional<std::int64_t>(booking_base + static_cast<std::int64_t>(r)) : std::nullopt);
      if (!created || !created->contains("id")) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = created ? Error{Errc::internal, "room created without an id"} : created.error();
        return;
      }
      room.id = (*created)["id"].get<std::string>();
    }
  };
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) workers.emplace_back(worker);
  for (auto& w : workers) w.join();
  if (failure) return fail(failure->code, "creating rooms: " + failure->message);
  return {};
}

}  // namespace

Result<Report> run_simulation(const RunOptions& options) {
  const Scenario& s = options.scenario;
  Report report;
  report.scenario = s.name;
  report.target = s.clients;
  std::mt19937_64 random(std::random_device{}());
  const std::int64_t base = std::uniform_int_distribution<std::int64_t>(1'000'000'000, 1LL << 40)(random);

  std::vector<SimClient> clients(static_cast<std::size_t>(s.clients));
  std::vector<SimRoom> rooms(static_cast<std::size_t>((s.clients + s.room_size - 1) / s.room_size));
  for (int i = 0; i < s.clients; ++i) {
    SimClient& c = clients[static_cast<std::size_t>(i)];
    c.index = i;
    c.user_id = base + i;
    c.room = i / s.room_size;
    auto token = auth::mint_token({c.user_id, "sim " + std::to_string(i)}, options.jwt_secret, std::chrono::hours(6));
    if (!token) return tl::unexpected(token.error());
    c.token = *token;
    rooms[static_cast<std::size_t>(c.room)].members.push_back(i);
  }
  if (auto created = create_rooms(options, clients, rooms, base); !created) return tl::unexpected(created.error());

  // Whole rooms per loop, dealt out in turn.
  const int loops = std::max(1, std::min(options.threads, static_cast<int>(rooms.size())));
  std::vector<std::vector<int>> owned(static_cast<std::size_t>(loops));
  for (std::size_t r = 0; r < rooms.size(); ++r) {
    auto& mine = owned[r % static_cast<std::size_t>(loops)];
    mine.insert(mine.end(), rooms[r].members.begin(), rooms[r].members.end());
  }
  rusage usage_before{};
  getrusage(RUSAGE_SELF, &usage_before);
  const auto wall_before = Clock::now();

  std::vector<std::unique_ptr<client::ClientLoop>> client_loops;
  std::vector<Report> parts(static_cast<std::size_t>(loops));
  std::vector<LoopFigures> figures(static_cast<std::size_t>(loops));
  std::vector<std::unique_ptr<Run>> runs;
  std::vector<std::promise<void>> done(static_cast<std::size_t>(loops));
  // REST sends and catch-ups: blocking calls, several at once (one stuck on a stopped service
  // must not hold up the others for long).
  auto rest = std::make_unique<JobThreads>(8);
  for (int i = 0; i < loops; ++i) {
    const auto k = static_cast<std::size_t>(i);
    client_loops.push_back(client::ClientLoop::start());
    runs.push_back(std::make_unique<Run>(options, *client_loops[k], *rest, clients, rooms, std::move(owned[k]), parts[k],
                                         figures[k]));
  }
  for (int i = 0; i < loops; ++i) {
    const auto k = static_cast<std::size_t>(i);
    client_loops[k]->post([&runs, &done, k] { runs[k]->start(done[k]); });
  }
  std::vector<std::future<void>> finished_runs;
  for (auto& d : done) finished_runs.push_back(d.get_future());
  // The progress line, once a second, from every loop's figures.
  std::uint64_t last_sent = 0, last_delivered = 0;
  auto last_line = Clock::now();
  for (int finished = 0; finished < loops;) {
    if (finished_runs[static_cast<std::size_t>(finished)].wait_for(std::chrono::seconds(1)) == std::future_status::ready) {
      ++finished;
      continue;
    }
    if (!options.progress) continue;
    Progress p;
    std::uint64_t sent = 0, delivered = 0;
    for (const auto& f : figures) {
      p.connected += f.connected;
      p.target += f.target;
      sent += f.sent;
      delivered += f.delivered;
      p.delivery_p99_us = std::max(p.delivery_p99_us, f.delivery_p99_us.load());
    }
    const auto now = Clock::now();
    const double seconds = std::max(1e-3, std::chrono::duration<double>(now - last_line).count());
    p.elapsed_seconds = std::chrono::duration<double>(now - wall_before).count();
    p.sent_per_second = static_cast<double>(sent - last_sent) / seconds;
    p.delivered_per_second = static_cast<double>(delivered - last_delivered) / seconds;
    last_sent = sent;
    last_delivered = delivered;
    last_line = now;
    options.progress(p);
  }
  // REST sends still under way finish first; their outcomes are posted to the loops, which
  // handle them before the release below.
  rest.reset();
  std::map<int, std::vector<std::string>> acked;
  for (int i = 0; i < loops; ++i) {
    const auto k = static_cast<std::size_t>(i);
    // Timers and clients go on their loop's thread, before the loop they belong to.
    std::promise<void> released;
    client_loops[k]->post([&, k] {
      for (auto& [room, ids] : runs[k]->acked_ids_) acked[room] = ids;
      runs[k]->release();
      runs[k].reset();
      released.set_value();
    });
    released.get_future().wait();
  }
  client_loops.clear();
  rusage usage_after{};
  getrusage(RUSAGE_SELF, &usage_after);
  auto cpu_seconds = [](const rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  for (const Report& part : parts) merge_into(report, part);
  report.target = s.clients;
  report.simulator_threads = loops;
  report.simulator_cpu_seconds = cpu_seconds(usage_after) - cpu_seconds(usage_before);
  report.simulator_wall_seconds = std::chrono::duration<double>(Clock::now() - wall_before).count();

  std::vector<HistoryToCheck> histories;
  for (auto& [room, ids] : acked) {
    const SimRoom& r = rooms[static_cast<std::size_t>(room)];
    histories.push_back({r.id, clients[static_cast<std::size_t>(r.members.front())].token, std::move(ids)});
  }
  check_history(options.servers, std::move(histories), report);
  return report;
}

}  // namespace parkchat::sim
