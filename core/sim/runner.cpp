#include "core/sim/runner.hpp"

#include <algorithm>
#include <atomic>
#include <future>
#include <memory>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/auth/token.hpp"
#include "core/client/rest_client.hpp"
#include "core/client/socketio_client.hpp"

namespace parkchat::sim {
namespace {

using Clock = std::chrono::steady_clock;
using Timer = boost::asio::steady_timer;

std::int64_t micros_since(Clock::time_point origin) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - origin).count();
}

struct SimClient {
  int index = 0;
  std::int64_t user_id = 0;
  int room = 0;
  std::string token;
  std::shared_ptr<client::SocketIoClient> socket;
  std::unique_ptr<Timer> timer;
  Clock::time_point connect_started;
  bool joined = false;
  std::uint64_t seq = 0;
};

struct SimRoom {
  std::string id;
  std::vector<int> members;  // client indexes
};

// Everything of a run that lives on the clients' thread.
class Run {
 public:
  Run(const RunOptions& options, client::ClientLoop& loop, std::vector<SimClient>& clients, std::vector<SimRoom>& rooms,
      Report& report)
      : options_(options),
        loop_(loop),
        clients_(clients),
        rooms_(rooms),
        report_(report),
        ticker_(loop.io_context()),
        random_(std::random_device{}()) {}

  // Starts on the loop thread; `done` is set once the run has drained.
  void start(std::promise<void>& done) {
    done_ = &done;
    origin_ = Clock::now();
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
    const int target = static_cast<int>(due * static_cast<double>(clients_.size()));
    while (next_connect_ < static_cast<int>(clients_.size()) && next_connect_ <= target) connect(clients_[static_cast<std::size_t>(next_connect_++)]);
    if (now - last_progress_ >= std::chrono::seconds(1)) report_progress(now);
    if (now >= send_until_) return drain(now);
    ticker_.expires_after(std::chrono::milliseconds(10));
    ticker_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  }

  void report_progress(Clock::time_point now) {
    const double seconds = std::chrono::duration<double>(now - last_progress_).count();
    const std::uint64_t delivered = receipts_;
    if (options_.progress && last_progress_ != Clock::time_point{}) {
      Progress p;
      p.elapsed_seconds = std::chrono::duration<double>(now - origin_).count();
      p.connected = joined_;
      p.target = static_cast<int>(clients_.size());
      p.sent_per_second = static_cast<double>(report_.sent - last_sent_) / seconds;
      p.delivered_per_second = static_cast<double>(delivered - last_delivered_) / seconds;
      p.delivery_p99_us = report_.delivery_latency.percentile(99);
      options_.progress(p);
    }
    last_progress_ = now;
    last_sent_ = report_.sent;
    last_delivered_ = delivered;
  }

  void connect(SimClient& c) {
    client::SocketIoOptions socket_options;
    socket_options.server = options_.server;
    socket_options.auth = {{"token", c.token}};
    socket_options.connect_timeout = std::chrono::seconds(20);
    client::SocketIoHandlers handlers;
    const int index = c.index;
    handlers.connected = [this, index](const nlohmann::json&) { on_connected(index); };
    handlers.refused = [this, index](const nlohmann::json&) {
      ++report_.errors["UNAUTHORIZED"];
      on_lost(index);
    };
    handlers.disconnected = [this, index](const std::string&, std::optional<std::chrono::milliseconds>) {
      ++report_.errors["DISCONNECTED"];
      on_lost(index);
    };
    handlers.event = [this, index](const std::string& event, const nlohmann::json& args) {
      if (event == "new_message" && !args.empty()) on_message(index, args[0]);
    };
    c.connect_started = Clock::now();
    c.timer = std::make_unique<Timer>(loop_.io_context());
    c.socket = client::SocketIoClient::create(loop_, socket_options, handlers);
    c.socket->connect();
  }

  void on_connected(int index) {
    SimClient& c = clients_[static_cast<std::size_t>(index)];
    c.socket->emit("join_room", {{"roomId", rooms_[static_cast<std::size_t>(c.room)].id}}, [this, index](Result<nlohmann::json> args) {
      SimClient& joined = clients_[static_cast<std::size_t>(index)];
      const nlohmann::json ack = args && args->is_array() && !args->empty() ? (*args)[0] : nlohmann::json();
      if (!ack.is_object() || !ack.value("success", false)) {
        ++report_.errors[args ? ack.value("error", nlohmann::json::object()).value("code", "JOIN_REFUSED") : "JOIN_TIMEOUT"];
        return;
      }
      joined.joined = true;
      ++joined_;
      report_.connect_time.record(micros_since(joined.connect_started));
      schedule_send(joined);
    });
  }

  void on_lost(int index) {
    SimClient& c = clients_[static_cast<std::size_t>(index)];
    if (c.joined) --joined_;
    c.joined = false;
    verifier_unstable_.insert(index);
    if (c.timer) c.timer->cancel();
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
    const std::uint64_t seq = ++c.seq;
    const std::int64_t sent_at = micros_since(origin_);
    std::string content = "sim:" + std::to_string(c.index) + ":" + std::to_string(seq) + ":" + std::to_string(sent_at) + ":";
    if (static_cast<int>(content.size()) < scenario().message_bytes) content.append(static_cast<std::size_t>(scenario().message_bytes) - content.size(), 'x');
    std::vector<int> recipients;
    for (int member : room.members) {
      if (member != c.index && clients_[static_cast<std::size_t>(member)].joined) recipients.push_back(member);
    }
    ++report_.sent;
    ++pending_acks_;
    const int index = c.index;
    c.socket->emit(
        "send_message", {{"roomId", room.id}, {"content", std::move(content)}, {"type", "TEXT"}},
        [this, index, sent_at, recipients = std::move(recipients)](Result<nlohmann::json> args) mutable {
          --pending_acks_;
          const nlohmann::json ack = args && args->is_array() && !args->empty() ? (*args)[0] : nlohmann::json();
          if (!ack.is_object() || !ack.value("success", false)) {
            ++report_.errors[args ? ack.value("error", nlohmann::json::object()).value("code", "REFUSED") : "ACK_TIMEOUT"];
            return;
          }
          ++report_.acked;
          report_.ack_latency.record(micros_since(origin_) - sent_at);
          const std::string id = ack["message"].value("id", "");
          acked_ids_[clients_[static_cast<std::size_t>(index)].room].push_back(id);
          verifier_.acked(id, index, std::move(recipients));
        },
        std::chrono::seconds(10));
    schedule_send(c);
  }

  void on_message(int index, const nlohmann::json& message) {
    const std::string content = message.value("content", "");
    if (content.rfind("sim:", 0) != 0) return;  // not ours (SYSTEM messages)
    // sim:<sender>:<seq>:<sent at µs>:
    std::size_t a = 4;
    std::size_t b = content.find(':', a);
    std::size_t c = content.find(':', b + 1);
    std::size_t d = content.find(':', c + 1);
    if (b == std::string::npos || c == std::string::npos || d == std::string::npos) return;
    const int sender = std::stoi(content.substr(a, b - a));
    const std::uint64_t seq = std::stoull(content.substr(b + 1, c - b - 1));
    const std::int64_t sent_at = std::stoll(content.substr(c + 1, d - c - 1));
    report_.delivery_latency.record(micros_since(origin_) - sent_at);
    ++receipts_;
    verifier_.delivered(index, message.value("id", ""), sender, seq);
  }

  // Sending is over: wait for the last acks and deliveries (10 s at most), then close.
  void drain(Clock::time_point now) {
    if (drain_started_ == Clock::time_point{}) {
      drain_started_ = now;
      report_.send_seconds = first_send_ == Clock::time_point{} ? 0 : std::chrono::duration<double>(now - first_send_).count();
    }
    const bool settled = pending_acks_ == 0 && verifier_.delivered_count() >= verifier_.expected_count();
    if (!settled && now - drain_started_ < std::chrono::seconds(10)) {
      ticker_.expires_after(std::chrono::milliseconds(20));
      ticker_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) drain(Clock::now());
      });
      return;
    }
    for (int i : verifier_unstable_) verifier_.unstable(i);
    report_.connected = joined_;
    for (auto& c : clients_) {
      if (c.timer) c.timer->cancel();
      if (c.socket) c.socket->close();
    }
    report_.deliveries = verifier_.finish();
    report_.failed = static_cast<int>(clients_.size()) - static_cast<int>(report_.connect_time.count());
    done_->set_value();
  }

 public:
  std::map<int, std::vector<std::string>> acked_ids_;  // room -> acked message ids

 private:
  const RunOptions& options_;
  client::ClientLoop& loop_;
  std::vector<SimClient>& clients_;
  std::vector<SimRoom>& rooms_;
  Report& report_;
  Timer ticker_;
  std::mt19937_64 random_;
  std::promise<void>* done_ = nullptr;
  Clock::time_point origin_;
  Clock::time_point send_until_;
  Clock::time_point first_send_;
  Clock::time_point drain_started_;
  Clock::time_point last_progress_;
  std::uint64_t last_sent_ = 0;
  std::uint64_t last_delivered_ = 0;
  std::uint64_t receipts_ = 0;
  int next_connect_ = 0;
  int joined_ = 0;
  std::int64_t pending_acks_ = 0;
  DeliveryVerifier verifier_;
  std::set<int> verifier_unstable_;
};

// Creates the rooms through the API, a few at a time.
Result<void> create_rooms(const RunOptions& options, std::vector<SimClient>& clients, std::vector<SimRoom>& rooms,
                          std::int64_t booking_base) {
  std::atomic<std::size_t> next{0};
  std::mutex failure_mutex;
  std::optional<Error> failure;
  auto worker = [&] {
    for (std::size_t r = next++; r < rooms.size(); r = next++) {
      SimRoom& room = rooms[r];
      const SimClient& owner = clients[static_cast<std::size_t>(room.members.front())];
      std::vector<std::int64_t> others;
      for (std::size_t i = 1; i < room.members.size(); ++i) others.push_back(clients[static_cast<std::size_t>(room.members[i])].user_id);
      client::RestClient rest(options.server, owner.token);
      const bool booking = options.scenario.room_type == "BOOKING";
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

// Every acknowledged message of a room must be in its history exactly once; history is written
// asynchronously, so rooms still missing some are read again for up to 20 s.
void check_history(const RunOptions& options, const std::vector<SimClient>& clients, const std::vector<SimRoom>& rooms,
                   const std::map<int, std::vector<std::string>>& acked_ids, Report& report) {
  std::map<int, std::set<std::string>> missing;
  for (const auto& [room, ids] : acked_ids) missing[room] = std::set<std::string>(ids.begin(), ids.end());
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  std::uint64_t duplicated = 0;
  while (!missing.empty()) {
    duplicated = 0;
    for (auto it = missing.begin(); it != missing.end();) {
      const SimRoom& room = rooms[static_cast<std::size_t>(it->first)];
      client::RestClient rest(options.server, clients[static_cast<std::size_t>(room.members.front())].token);
      std::set<std::string> seen;
      std::optional<std::string> cursor;
      std::set<std::string> wanted = it->second;
      for (int page_number = 0; page_number < 1000 && !wanted.empty(); ++page_number) {
        auto page = rest.history(room.id, 100, cursor);
        if (!page) break;
        for (const auto& m : (*page)["messages"]) {
          const std::string id = m.value("id", "");
          if (!seen.insert(id).second) ++duplicated;
          wanted.erase(id);
        }
        if (!page->value("hasMore", false) || !(*page)["nextCursor"].is_string()) break;
        cursor = (*page)["nextCursor"].get<std::string>();
      }
      it->second = std::move(wanted);
      it = it->second.empty() ? missing.erase(it) : std::next(it);
    }
    if (missing.empty() || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the persister catches up
  }
  report.duplicated_in_history = duplicated;
  for (const auto& [room, ids] : missing) report.missing_in_history += ids.size();
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

  auto loop = client::ClientLoop::start();
  std::promise<void> done;
  auto run = std::make_unique<Run>(options, *loop, clients, rooms, report);
  loop->post([&] { run->start(done); });
  done.get_future().wait();
  auto acked = run->acked_ids_;
  // Timers and clients go on the loop's thread, before the loop they belong to.
  std::promise<void> released;
  loop->post([&] {
    for (auto& c : clients) {
      c.timer.reset();
      c.socket.reset();
    }
    run.reset();
    released.set_value();
  });
  released.get_future().wait();
  loop.reset();

  check_history(options, clients, rooms, acked, report);
  return report;
}

}  // namespace parkchat::sim
