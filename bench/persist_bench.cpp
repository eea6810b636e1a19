// Benchmark of the service's JetStream → PostgreSQL path: publishes N messages into
// CHAT_MESSAGES (pipelined, like a gateway under load) and reports how long until every one is
// committed in chat_messages, and the lag from publish to commit. Starts its own NATS and
// PostgreSQL in a temporary directory. Prints figures; asserts nothing but completeness.

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/base/clock.hpp"
#include "core/base/uuid.hpp"
#include "core/bus/async_publisher.hpp"
#include "core/bus/streams.hpp"
#include "core/embedded/local_stack.hpp"
#include "core/obs/log.hpp"
#include "core/store/migrator.hpp"
#include "daemon/service/message_persister.hpp"

using namespace parkchat;

namespace {

struct Options {
  int messages = 100000;
  int rooms = 100;
  int persisters = 1;
  int batch = 500;
  int rate = 0;  // messages per second; 0 = as fast as the publisher goes
  bool ephemeral = false;
  bool backlog = false;  // publish everything first, then start the persisters
};

[[noreturn]] void die(const std::string& what) {
  std::cerr << "persist_bench: " << what << "\n";
  std::exit(1);
}

double percentile(std::vector<Micros>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
  return static_cast<double>(sorted[index]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  Options o;
  CLI::App app{"Benchmark: JetStream CHAT_MESSAGES -> PostgreSQL persistence"};
  app.add_option("--messages", o.messages, "messages to publish");
  app.add_option("--rooms", o.rooms, "rooms the messages spread over");
  app.add_option("--persisters", o.persisters, "persisters sharing the durable consumer");
  app.add_option("--batch", o.batch, "messages per fetch and insert");
  app.add_option("--rate", o.rate, "publish rate in messages/s (0: as fast as possible)");
  app.add_flag("--ephemeral", o.ephemeral, "PostgreSQL with fsync off (default: durable settings)");
  app.add_flag("--backlog", o.backlog,
               "publish all messages first, then start the persisters: measures persistence alone, "
               "as after an outage");
  CLI11_PARSE(app, argc, argv);
  obs::setup_logging(spdlog::level::warn, obs::LogFormat::text);

  std::string dir_pattern = (std::filesystem::temp_directory_path() / "parkchat-bench-XXXXXX").string();
  if (::mkdtemp(dir_pattern.data()) == nullptr) die("mkdtemp failed");
  std::filesystem::path dir = dir_pattern;
  embedded::LocalStackOptions stack_options;
  stack_options.dir = dir;
  stack_options.durability = o.ephemeral ? embedded::Durability::ephemeral : embedded::Durability::durable;
  auto stack = embedded::LocalStack::start(stack_options);
  if (!stack) die(stack.error().message);
  const std::string db_url = (*stack)->postgres()->url();

  std::vector<std::string> rooms;
  {
    auto conn = store::PgConnection::connect(db_url);
    if (!conn) die(conn.error().message);
    store::Migrator migrator(*conn, *store::builtin_migrations());
    if (auto r = migrator.up(std::nullopt, store::DryRun::no); !r) die(r.error().message);
    auto ids = conn->exec("INSERT INTO chat_rooms (id, type, name) SELECT gen_random_uuid(), 'GROUP', 'bench ' || g "
                          "FROM generate_series(1, " + std::to_string(o.rooms) + ") g RETURNING id::text");
    if (!ids) die(store::describe(ids.error()));
    for (const auto& row : *ids) rooms.push_back(*row[0]);
  }

  auto nats = bus::NatsClient::connect((*stack)->nats()->url(), "persist-bench");
  if (!nats) die(nats.error().message);
  if (auto r = bus::ensure_streams(**nats); !r) die(r.error().message);

  std::mutex mutex;
  std::condition_variable all_stored;
  std::size_t stored = 0;
  std::vector<std::vector<Micros>> lags(static_cast<std::size_t>(o.persisters));
  std::vector<std::unique_ptr<service::MessagePersister>> persisters;
  auto start_persisters = [&] {
  for (int i = 0; i < o.persisters; ++i) {
    auto& lag = lags[static_cast<std::size_t>(i)];
    lag.reserve(static_cast<std::size_t>(o.messages));
    service::PersisterOptions options;
    options.batch = o.batch;
    options.on_stored = [&](Micros created, Micros committed) {
      lag.push_back(committed - created);
      std::lock_guard lock(mutex);
      if (++stored >= static_cast<std::size_t>(o.messages)) all_stored.notify_all();
    };
    persisters.push_back(std::make_unique<service::MessagePersister>(**nats, db_url, options));
    if (auto r = persisters.back()->start(); !r) die(r.error().message);
  }
  };
  if (!o.backlog) start_persisters();

  std::atomic<std::uint64_t> publish_errors{0};
  auto publisher = bus::AsyncPublisher::open(**nats, 4096, [&](const std::string&, Result<bus::PublishAck> stored_ok) {
    if (!stored_ok) publish_errors.fetch_add(1);
  });
  if (!publisher) die(publisher.error().message);

  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < o.messages; ++i) {
    if (o.rate > 0) {
      auto due = started + std::chrono::microseconds(static_cast<std::int64_t>(i) * 1000000 / o.rate);
      std::this_thread::sleep_until(due);
    }
    const std::string& room = rooms[static_cast<std::size_t>(i % o.rooms)];
    const std::string id = new_uuid();
    nlohmann::json message = {{"id", id},
                              {"roomId", room},
                              {"senderId", 1 + i % 1000},
                              {"senderName", "golfer"},
                              {"content", "bench message " + std::to_string(i)},
                              {"type", "TEXT"},
                              {"createdAt", format_iso8601(now_micros())}};
    if (auto r = (*publisher)->publish("chat.room." + room + ".message", message.dump(), id); !r) die(r.error().message);
  }
  if (auto r = (*publisher)->wait_all(std::chrono::seconds(60)); !r) die(r.error().message);
  const auto published = std::chrono::steady_clock::now();
  // In backlog mode the clock restarts: what is measured is draining the stream.
  const auto persist_started = o.backlog ? std::chrono::steady_clock::now() : started;
  if (o.backlog) start_persisters();
  {
    std::unique_lock lock(mutex);
    if (!all_stored.wait_for(lock, std::chrono::seconds(300), [&] { return stored >= static_cast<std::size_t>(o.messages); })) {
      die("only " + std::to_string(stored) + " of " + std::to_string(o.messages) + " messages stored within 300 s");
    }
  }
  const auto done = std::chrono::steady_clock::now();
  for (auto& p : persisters) p->stop();

  std::string rows;
  {
    auto conn = store::PgConnection::connect(db_url);
    auto count = conn->exec("SELECT count(*) FROM chat_messages");
    rows = count ? count->at(0).at(0).value_or("?") : "?";
  }
  std::vector<Micros> all;
  for (auto& lag : lags) all.insert(all.end(), lag.begin(), lag.end());
  std::sort(all.begin(), all.end());
  auto seconds = [&](auto end) { return std::chrono::duration<double>(end - started).count(); };

  std::printf("parkchat persist benchmark: %d messages, %d rooms, %d persister(s), batch %d, %s PostgreSQL, rate %s%s\n",
              o.messages, o.rooms, o.persisters, o.batch, o.ephemeral ? "fsync-off" : "durable",
              o.rate > 0 ? (std::to_string(o.rate) + "/s").c_str() : "unlimited", o.backlog ? ", backlog" : "");
  std::printf("  published in %8.2f s  %10.0f msg/s  (%llu publish errors)\n", seconds(published),
              o.messages / seconds(published), static_cast<unsigned long long>(publish_errors.load()));
  const double persist_seconds = std::chrono::duration<double>(done - persist_started).count();
  std::printf("  persisted in %8.2f s  %10.0f msg/s%s\n", persist_seconds, o.messages / persist_seconds,
              o.backlog ? "  (from a backlog, after publishing)" : "");
  std::printf("  lag publish->commit  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms\n", percentile(all, 0.50),
              percentile(all, 0.90), percentile(all, 0.99), percentile(all, 1.0));
  std::printf("  rows in chat_messages: %s (expected %d)\n", rows.c_str(), o.messages);

  persisters.clear();
  publisher->reset();
  nats->reset();
  (*stack)->stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return rows == std::to_string(o.messages) ? 0 : 1;
}
