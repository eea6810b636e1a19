#include "core/client/room_follower.hpp"

#include <algorithm>
#include <future>

#include <boost/asio/steady_timer.hpp>

#include "core/base/clock.hpp"
#include "core/client/catch_up.hpp"
#include "core/client/chat_session.hpp"

namespace parkchat::client {
namespace {

constexpr int kPageSize = 100;
// Pages read back after a reconnect before giving up on finding the last message shown.
constexpr int kMaxGapPages = 20;

}  // namespace

struct RoomFollower::RetryTimer {
  explicit RetryTimer(boost::asio::io_context& io) : timer(io) {}
  boost::asio::steady_timer timer;
};

RoomFollower::RoomFollower(ClientLoop& loop, std::vector<ServerUrl> servers, std::string token, std::string room_id,
                           FollowOptions options)
    : loop_(loop),
      rest_(servers, token),
      room_id_(std::move(room_id)),
      retry_(std::make_unique<RetryTimer>(loop.io_context())),
      options_(options) {
  SocketIoHandlers handlers;
  // Callbacks run on the loop thread and only queue what happened; next() does the work.
  handlers.connected = [this](const nlohmann::json&) { join(); };
  handlers.refused = [this](const nlohmann::json& data) {
    raw_.push({Raw::refused, refusal_text(data), {}});
  };
  handlers.disconnected = [this](const std::string& reason, std::optional<std::chrono::milliseconds> retry_in) {
    raw_.push({Raw::lost, lost_connection_text(reason, retry_in), {}});
  };
  handlers.event = [this](const std::string& event, const nlohmann::json& args) {
    if (!args.empty()) raw_.push({Raw::event, event, args[0]});
  };
  socket_ = SocketIoClient::create(loop, follow_socket_options(servers, token, options_), handlers);
}

// Callbacks run on the loop thread and use this object: close, then wait until the loop has run
// everything queued before the close, after which the closed client calls nothing.
RoomFollower::~RoomFollower() {
  socket_->close();
  std::promise<void> drained;
  loop_.post([&] {
    retry_.reset();
    drained.set_value();
  });
  drained.get_future().wait();
}

void RoomFollower::join() {
  // With resume, the answer names the room's newest message, which the gap filling then waits
  // for if history does not hold it yet.
  socket_->emit("join_room", {{"roomId", room_id_}, {"resume", true}}, [this](Result<nlohmann::json> args) {
    auto ack = ack_result(args);
    if (ack) return raw_.push({Raw::joined, "", *ack});
    const Error& error = ack.error();
    if (error.code != Errc::unavailable) {
      return raw_.push({Raw::join_failed, std::string(code_name(error.code)) + ": " + error.message, {}});
    }
    // A lost connection is the client's to mend: it reconnects and joins again by itself.
    const bool connection_lost = !args && args.error().message.rfind("no acknowledgement", 0) != 0;
    if (connection_lost) return;
    // The server (or its service) is busy or restarting: try again, and say so.
    raw_.push({Raw::lost, "join failed: " + error.message + "; retrying in 3 s", {}});
    if (!retry_) return;
    retry_->timer.expires_after(std::chrono::seconds(3));
    retry_->timer.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) join();
    });
  });
}

Result<std::vector<nlohmann::json>> RoomFollower::backlog() {
  std::vector<nlohmann::json> newest_first;
  std::optional<std::string> cursor;
  while (static_cast<int>(newest_first.size()) < options_.backlog) {
    auto page = rest_.history(room_id_, std::min(kPageSize, options_.backlog - static_cast<int>(newest_first.size())), cursor);
    if (!page) return tl::unexpected(page.error());
    for (const auto& m : (*page)["messages"]) newest_first.push_back(m);
    if (!page->value("hasMore", false) || !(*page)["nextCursor"].is_string()) break;
    cursor = (*page)["nextCursor"].get<std::string>();
  }
  return std::vector<nlohmann::json>(newest_first.rbegin(), newest_first.rend());
}

void RoomFollower::start() { socket_->connect(); }

void RoomFollower::stop() { raw_.stop(); }

void RoomFollower::emit_message(const nlohmann::json& message) {
  if (!message.is_object() || !message.contains("id") || !message["id"].is_string()) return;
  if (!shown_.insert(message["id"].get<std::string>())) return;  // shown already
  shown_any_ = true;
  if (auto at = parse_iso8601(message.value("createdAt", ""))) last_shown_at_ = std::max(last_shown_at_, *at);
  ready_.push_back({RoomEvent::Kind::message, message, ""});
}

void RoomFollower::fill_gap(const nlohmann::json& join_answer) {
  if (!shown_any_) {
    auto messages = backlog();
    if (!messages) {
      ready_.push_back({RoomEvent::Kind::disconnected, {}, "history unavailable: " + messages.error().message});
      return;
    }
    for (const auto& m : *messages) emit_message(m);
    return;
  }
  std::optional<std::string> newest;
  if (join_answer.contains("newestMessageId") && join_answer["newestMessageId"].is_string()) {
    newest = join_answer["newestMessageId"].get<std::string>();
    if (shown_.contains(*newest)) newest.reset();  // nothing to wait for
  }
  CatchUpOptions options;
  options.page_size = kPageSize;
  options.max_pages = kMaxGapPages;
  auto found = catch_up([this](const std::optional<std::string>& cursor) { return rest_.history(room_id_, kPageSize, cursor); },
                        last_shown_at_, newest, options);
  if (!found) {
    ready_.push_back({RoomEvent::Kind::disconnected, {}, "history unavailable: " + found.error().message});
    return;
  }
  for (const auto& m : found->messages) emit_message(m);
  if (!found->reached_newest) {
    ready_.push_back({RoomEvent::Kind::disconnected, {}, "history does not hold message " + *newest + " yet; it may be missing here"});
  }
}

std::optional<RoomEvent> RoomFollower::next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!ready_.empty()) {
      RoomEvent event = std::move(ready_.front());
      ready_.pop_front();
      return event;
    }
    auto batch = raw_.take(deadline);
    if (!batch || batch->empty()) return std::nullopt;
    // Live events that arrive while the gap is being filled wait behind it; duplicates of
    // what history returned are dropped by id.
    for (auto& item : *batch) {
      switch (item.raw) {
        case Raw::joined:
          ready_.push_back({RoomEvent::Kind::connected, {}, "following room " + room_id_});
          fill_gap(item.data);
          break;
        case Raw::event:
          if (item.name == "new_message") {
            emit_message(item.data);
          } else if (item.name == "typing") {
            ready_.push_back({RoomEvent::Kind::typing, item.data, ""});
          } else if (item.name == "user_joined") {
            ready_.push_back({RoomEvent::Kind::user_joined, item.data, ""});
          } else if (item.name == "user_left") {
            ready_.push_back({RoomEvent::Kind::user_left, item.data, ""});
          }
          break;
        case Raw::lost:
          ready_.push_back({RoomEvent::Kind::disconnected, {}, item.name});
          break;
        case Raw::refused:
        case Raw::join_failed:
          ready_.push_back({RoomEvent::Kind::fatal, {}, item.name});
          break;
      }
    }
  }
}

}  // namespace parkchat::client
