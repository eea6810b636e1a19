#include "daemon/app.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "core/base/file_limit.hpp"
#include "core/base/redact.hpp"
#include "core/base/uuid.hpp"
#include "core/chat/subjects.hpp"
#include "core/base/version.hpp"
#include "core/bus/async_requester.hpp"
#include "core/bus/nats_client.hpp"
#include "core/bus/streams.hpp"
#include "core/config/data_dir.hpp"
#include "core/embedded/local_stack.hpp"
#include "core/obs/log.hpp"
#include "core/store/database_pool.hpp"
#include "core/store/database_identity.hpp"
#include "core/store/migrator.hpp"
#include "core/obs/metrics.hpp"
#include "daemon/api/dev_login.hpp"
#include "daemon/api/ops_endpoints.hpp"
#include "daemon/api/web_app.hpp"
#include "daemon/api/rest_api.hpp"
#include "daemon/api/rest_routes.hpp"
#include "daemon/gateway/chat_gateway.hpp"
#include "daemon/gateway/gateway_metrics.hpp"
#include "daemon/gateway/conformance.hpp"
#include "daemon/gateway/engine_server.hpp"
#include "daemon/gateway/gateway_shard.hpp"
#include "daemon/gateway/presence_announcer.hpp"
#include "daemon/gateway/session_ids.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/roles.hpp"
#include "daemon/service/chat_service.hpp"
#include "daemon/service/database_agreement.hpp"
#include "daemon/service/message_persister.hpp"
#include "daemon/web/http_server.hpp"

namespace parkchat::daemon {
namespace {

// Stop actions in the order they must run: the reverse of start [Redpanda construct_service].
class StopStack {
 public:
  void push(std::function<void()> stop) { stops_.push_back(std::move(stop)); }
  ~StopStack() {
    for (auto it = stops_.rbegin(); it != stops_.rend(); ++it) (*it)();
  }

 private:
  std::vector<std::function<void()>> stops_;
};

int fatal(const std::string& message) {
  obs::logger("serve")->error("{}", message);
  return 1;
}

Result<std::size_t> apply_migrations(const std::string& database_url) {
  auto conn = store::PgConnection::connect(database_url);
  if (!conn) return tl::unexpected(conn.error());
  auto migrations = store::builtin_migrations();
  if (!migrations) return tl::unexpected(migrations.error());
  store::Migrator migrator(*conn, std::move(*migrations));
  auto steps = migrator.up(std::nullopt, store::DryRun::no);
  if (!steps) return tl::unexpected(steps.error());
  for (const auto& step : *steps) {
    obs::logger("store")->info("migration applied name={} ms={}", step.label, step.elapsed.count());
  }
  auto status = migrator.status();
  if (!status) return tl::unexpected(status.error());
  return status->size();
}

// Runs `task(i)` on the thread of every shard i and waits for all of them.
void run_on_every_shard(web::HttpShards& http, const std::function<void(std::size_t)>& task) {
  std::vector<std::promise<void>> done(http.size());
  for (std::size_t i = 0; i < http.size(); ++i) {
    http.shard(i).post([&, i] {
      task(i);
      done[i].set_value();
    });
  }
  for (auto& shard : done) shard.get_future().wait();
}

// One listener thread per core, unless told.
std::size_t listener_threads(const ServeOptions& options) {
  if (options.threads != 0) return options.threads;
  return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 64);
}

int wait_for_stop_signal(const sigset_t& stop_signals) {
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  obs::logger("serve")->info("serve stopping signal={}", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  return signal_number;
}

int run_conformance(const std::pair<std::string, int>& address, std::size_t threads, std::ostream& out,
                    const sigset_t& stop_signals) {
  auto server = gateway::ConformanceServer::start({address.first, address.second, threads});
  if (!server) return fatal(server.error().message);
  out << "parkchat " << kVersion << " serve --conformance (pid " << ::getpid() << ")\n"
      << "  engine.io   /engine.io/  echo\n"
      << "  socket.io   /socket.io/  namespaces / and /custom\n"
      << "  listening   http://" << address.first << ":" << (*server)->port() << "\n"
      << "ready; Ctrl-C stops" << std::endl;
  wait_for_stop_signal(stop_signals);
  out << "stopping" << std::endl;
  return 0;
}


// The figures the roles keep themselves, read when /metrics is rendered (README "Metrics").
void expose_figures(obs::Registry& metrics, bus::NatsClient* nats, bus::NatsClient* gateway_nats,
                    const std::vector<std::unique_ptr<gateway::GatewayShard>>& shards,
                    gateway::GatewayProcess* gateway, service::MessagePersister* persister,
                    service::ChatService* chat_service) {
  auto nats_series = [&](bus::NatsClient* client, const char* connection) {
    if (client == nullptr) return;
    const std::string labels = std::string("connection=\"") + connection + "\"";
    metrics.read_at_render("parkchat_nats_connected", "1 while the NATS connection is up", "gauge", labels,
                           [client] { return client->connected() ? 1.0 : 0.0; });
    metrics.read_at_render("parkchat_nats_reconnects_total", "Times the NATS connection was re-established", "counter",
                           labels, [client] { return static_cast<double>(client->reconnects()); });
    metrics.read_at_render("parkchat_nats_slow_consumer_total",
                           "Times a subscription fell so far behind that the NATS client dropped messages of it",
                           "counter", labels, [client] { return static_cast<double>(client->slow_consumer_events()); });
  };
  nats_series(nats, "serve");
  nats_series(gateway_nats, "gateway");
  if (gateway != nullptr) {
    metrics.read_at_render("parkchat_users_online", "Users with a socket on this gateway", "gauge", "",
                           [gateway] { return static_cast<double>(gateway->users.users()); });
    metrics.read_at_render("parkchat_rooms_followed", "Rooms with sockets on this gateway (one subscription each)",
                           "gauge", "", [gateway] { return static_cast<double>(gateway->rooms.rooms()); });
  }
  // Per shard: a shard that carries far more than the others shows.
  for (const auto& shard : shards) {
    const gateway::GatewayCounters* c = &shard->chat().counters();
    const std::string labels = "shard=\"" + std::to_string(shard->chat().shard()) + "\"";
    metrics.read_at_render("parkchat_connections", "Open /chat sockets on this gateway", "gauge", labels,
                           [c] { return static_cast<double>(c->sockets.load()); });
    metrics.read_at_render("parkchat_connections_opened_total", "Sockets this gateway admitted to /chat", "counter",
                           labels, [c] { return static_cast<double>(c->connects.load()); });
    metrics.read_at_render("parkchat_messages_sent_total", "Sends accepted by this gateway", "counter", labels,
                           [c] { return static_cast<double>(c->messages_sent.load()); });
    metrics.read_at_render("parkchat_deliveries_total", "new_message frames this gateway wrote to sockets", "counter",
                           labels, [c] { return static_cast<double>(c->deliveries.load()); });
  }
  if (persister != nullptr) {
    metrics.read_at_render("parkchat_messages_stored_total", "Messages the persister stored", "counter", "",
                           [persister] { return static_cast<double>(persister->stored()); });
  }
  if (chat_service != nullptr) {
    metrics.read_at_render("parkchat_service_requests_total", "NATS requests the service answered", "counter", "",
                           [chat_service] { return static_cast<double>(chat_service->handled()); });
  }
}

}  // namespace

int run_serve(const config::Settings& settings, const ServeOptions& serve_options, std::ostream& out) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  raise_open_file_limit();

  auto log = obs::logger("serve");
  auto roles = parse_roles(settings.value_or(config::Key::roles, ""));
  if (!roles) {
    log->error("--roles: {}", roles.error().message);
    return 2;
  }

  // A bad listen address is a usage error, found before anything starts.
  auto address = web::parse_listen_address(settings.value_or(config::Key::listen, "127.0.0.1:3003"));
  if (!address) {
    log->error("--listen: {}", address.error().message);
    return 2;
  }
  if (serve_options.conformance) return run_conformance(*address, listener_threads(serve_options), out, stop_signals);
  const bool loopback = address->first == "localhost" || address->first == "::1" || address->first.rfind("127.", 0) == 0;
  if (serve_options.dev_login.value_or(false) && !loopback) {
    log->error("--dev-login signs anyone in as anyone: refused with --listen {}, which is not a loopback address",
               address->first);
    return 2;
  }

  const std::filesystem::path data_dir = settings.value_or(config::Key::data_dir, "./.parkchat");
  std::string nats_url = settings.value_or(config::Key::nats_url, "");
  std::string database_url = settings.value_or(config::Key::database_url, "");
  std::unique_ptr<embedded::LocalStack> stack;
  StopStack stops;  // declared after `stack`: runs its stops while the stack still exists

  if (nats_url.empty() || database_url.empty()) {
    embedded::LocalStackOptions options;
    options.dir = data_dir;
    options.with_nats = nats_url.empty();
    options.with_postgres = database_url.empty();
    auto started = embedded::LocalStack::start(options);
    if (!started) return fatal("embedded start failed: " + started.error().message);
    stack = std::move(*started);
    if (stack->nats()) nats_url = stack->nats()->url();
    if (stack->postgres()) database_url = stack->postgres()->url();
    stops.push([&] { stack->stop(); });

    config::RunningServe running{::getpid(), nats_url, database_url, stack->nats() ? stack->nats()->pid() : 0,
                                 stack->postgres() ? stack->postgres()->pid() : 0};
    if (auto written = config::write_running_serve(data_dir, running); !written) return fatal(written.error().message);
    stops.push([&] { config::remove_running_serve(data_dir); });
  }

  // A read-only standby would fail the migrations below with a less helpful error.
  if (roles->count(Role::service) != 0) {
    if (auto identity = store::read_database_identity(database_url); identity && identity->standby) {
      return fatal("database " + identity->where + " is a read-only standby (pg_is_in_recovery()): the service role "
                   "writes, so point --database-url at the primary");
    }
  }
  auto migrations = apply_migrations(database_url);
  if (!migrations) return fatal("migrations failed: " + migrations.error().message);
  auto secret = config::jwt_secret(settings, config::CreateSecret::yes);
  if (!secret) return fatal(secret.error().message);

  // The roles, in dependency order; each stop runs in reverse.
  std::unique_ptr<bus::NatsClient> nats;
  std::unique_ptr<store::DatabasePool> pool;
  // Closed while the services of the group disagree on the database (DatabaseAgreement).
  service::ServiceGate service_gate;
  std::unique_ptr<service::DatabaseAgreement> agreement;
  std::unique_ptr<service::ChatService> chat_service;
  std::unique_ptr<service::MessagePersister> persister;
  std::unique_ptr<notify::Notifier> notifier;
  std::unique_ptr<bus::AsyncRequester> requester;
  obs::Registry metrics;
  limits::UserBudgets budgets(serve_options.budgets);
  std::unique_ptr<api::RestApi> rest;
  std::unique_ptr<api::OpsEndpoints> ops;
  // The listener outlives the gateway: NATS callbacks still running while the gateway goes
  // post to it, and the sessions' timers belong to its Asio contexts.
  std::unique_ptr<web::HttpShards> http;
  std::unique_ptr<bus::NatsClient> gateway_nats;
  std::unique_ptr<bus::AsyncRequester> gateway_requester;
  std::optional<gateway::GatewayMetrics> gateway_metrics;
  std::unique_ptr<gateway::GatewayProcess> gateway;
  std::vector<std::unique_ptr<gateway::GatewayShard>> shards;
  std::optional<gateway::PresenceAnnouncer> presence_announcer;
  StopStack role_stops;  // after the pointers above: stops run while they exist
  const bool run_service = roles->count(Role::service) != 0;
  const bool run_notify = roles->count(Role::notify) != 0;
  const bool run_api = roles->count(Role::api) != 0;
  const bool run_gateway = roles->count(Role::gateway) != 0;
  const auto started_at = std::chrono::steady_clock::now();
  if (run_service || run_notify || run_api || run_gateway) {
    auto connected = bus::NatsClient::connect(nats_url, "parkchat-serve");
    if (!connected) return fatal(connected.error().message);
    nats = std::move(*connected);
    // The service role owns the streams' settings; the others only wait for the streams to be
    // there, so that a process started with other flags never overwrites them.
    bus::StreamOptions stream_options;
    stream_options.dedupe_window = serve_options.dedupe_window;
    stream_options.replicas = serve_options.stream_replicas;
    auto streams = run_service ? bus::ensure_streams(*nats, stream_options)
                               : bus::await_streams(*nats, std::chrono::seconds(60));
    if (!streams) return fatal("JetStream: " + streams.error().message);
  }
  if (run_service) {
    auto opened = store::DatabasePool::open(database_url, 8);
    if (!opened) return fatal(opened.error().message);
    pool = std::move(*opened);
    role_stops.push([&] { pool->stop(); });
    auto identity = store::read_database_identity(database_url);
    if (!identity) return fatal("service: " + identity.error().message);
    agreement = std::make_unique<service::DatabaseAgreement>(*nats, *identity, service_gate);
    if (auto started = agreement->start(); !started) return fatal("service: " + started.error().message);
    role_stops.push([&] { agreement->stop(); });
    chat_service = std::make_unique<service::ChatService>(*nats, *pool, &service_gate);
    if (auto started = chat_service->start(); !started) return fatal("service: " + started.error().message);
    role_stops.push([&] { chat_service->stop(); });
    service::PersisterOptions persister_options;
    persister_options.dead_lettered =
        &metrics.counter("parkchat_messages_dead_lettered_total", "Messages the persister sent to CHAT_DEADLETTER");
    persister_options.gate = &service_gate;
    persister_options.batch_size = &metrics.histogram("parkchat_persister_batch_size",
                                                      "Messages per transaction the persister wrote", "", obs::kSizeBuckets);
    obs::Histogram& lag = metrics.histogram("parkchat_persister_lag_seconds",
                                            "From a message's createdAt to its commit in PostgreSQL");
    persister_options.on_stored = [&lag](Micros created_at, Micros committed_at) {
      lag.observe(static_cast<double>(committed_at - created_at) / 1e6);
    };
    persister = std::make_unique<service::MessagePersister>(*nats, database_url, persister_options);
    if (auto started = persister->start(); !started) return fatal("persister: " + started.error().message);
    role_stops.push([&] { persister->stop(); });
  }
  if (run_notify) {
    notifier = std::make_unique<notify::Notifier>(*nats, database_url, "chat-notify",
                                                  run_service ? &service_gate : nullptr);
    if (auto started = notifier->start(); !started) return fatal("notify: " + started.error().message);
    role_stops.push([&] { notifier->stop(); });
  }

  std::string running;
  for (Role role : *roles) running += (running.empty() ? "" : ",") + std::string(role_name(role));
  std::string listening;
  if (run_api) {
    auto opened = bus::AsyncRequester::open(*nats);
    if (!opened) return fatal("api: " + opened.error().message);
    requester = std::move(*opened);
    role_stops.push([&] { requester.reset(); });
  }
  if (run_gateway) {
    // Its own connection: room subscriptions share delivery threads, and a burst of chat
    // traffic does not queue behind the service's requests.
    auto connected = bus::NatsClient::connect(nats_url, "parkchat-gateway", /*shared_delivery=*/true);
    if (!connected) return fatal("gateway: " + connected.error().message);
    gateway_nats = std::move(*connected);
    auto requests = bus::AsyncRequester::open(*gateway_nats);
    if (!requests) return fatal("gateway: " + requests.error().message);
    gateway_requester = std::move(*requests);
    role_stops.push([&] { gateway_requester.reset(); });
    gateway_metrics.emplace(metrics);
    gateway = std::make_unique<gateway::GatewayProcess>(*gateway_nats, new_uuid(), serve_options.max_sockets_per_user);
    // After the listener stops and before the shards go: no room event reaches a shard after.
    role_stops.push([&] {
      gateway->rooms.close();
      gateway->close_notifications();
    });
    gateway::GatewayShardOptions shard_options;
    shard_options.chat.jwt_secret = *secret;
    shard_options.chat.metrics = &*gateway_metrics;
    shard_options.chat.typing_rate = serve_options.typing_rate;
    shard_options.chat.membership_rate = serve_options.join_rate;
    shard_options.chat.max_queue_delay = serve_options.max_queue_delay;
    shard_options.chat.ack_after_stored = serve_options.ack_after_stored;
    if (serve_options.ack_after_stored) {
      if (auto followed = gateway->commits.follow(*gateway_nats); !followed) {
        return fatal("gateway: " + followed.error().message);
      }
    }
    shard_options.sio = gateway::SioOptions{serve_options.connect_timeout, serve_options.max_payload};
    shard_options.sio.connect_timeouts = &gateway_metrics->connect_timeouts;
    shard_options.engine.ping_interval = serve_options.ping_interval;
    shard_options.engine.ping_timeout = serve_options.ping_timeout;
    shard_options.engine.max_payload = serve_options.max_payload;
    shard_options.engine.allowed_origins = serve_options.allowed_origins;
    shard_options.engine.handshake_errors = &gateway_metrics->handshake_errors;
    shard_options.engine.slow_readers = &gateway_metrics->slow_readers;
    for (std::size_t i = 0; i < listener_threads(serve_options); ++i) {
      shards.push_back(std::make_unique<gateway::GatewayShard>(*gateway_nats, *gateway_requester, budgets, *gateway,
                                                               shard_options));
      gateway->shards.push_back(&shards.back()->chat());
      if (auto started = shards.back()->start(); !started) return fatal("gateway: " + started.error().message);
    }
    if (auto followed = gateway->follow_notifications(*gateway_nats); !followed) {
      return fatal("gateway: " + followed.error().message);
    }
    presence_announcer.emplace(*gateway_nats, gateway->users, gateway->gateway_id, chat::kOnlineListEvery);
    role_stops.push([&] { presence_announcer.reset(); });
    if (auto started = presence_announcer->start(); !started) return fatal("gateway: " + started.error().message);
  }
  std::optional<api::WebApp> web_app;
  std::optional<api::DevLogin> dev_login;
  if (run_api) {
    if (serve_options.web_dir.empty()) {
      web_app = api::WebApp::embedded();
    } else {
      auto from_dir = api::WebApp::from_dir(serve_options.web_dir);
      if (!from_dir) return fatal(from_dir.error().message);
      web_app = std::move(*from_dir);
    }
    // Sign-in as anyone: by default only where nobody else can reach it and no platform's
    // secret signs its tokens (the embedded setup on this machine).
    const bool embedded_setup = stack && stack->nats() && stack->postgres() && !settings.value(config::Key::jwt_secret);
    if (serve_options.dev_login.value_or(embedded_setup && loopback)) dev_login.emplace(*secret);
  }
  if (run_api || run_gateway) {
    if (run_api) rest = std::make_unique<api::RestApi>(*requester, budgets, metrics, api::RestApiOptions{*secret});
    ops = std::make_unique<api::OpsEndpoints>(requester.get(), metrics, [&] {
      nlohmann::json stats = {
          {"version", kVersion},
          {"pid", ::getpid()},
          {"roles", running},
          {"uptimeSeconds", std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_at).count()},
          {"nats", {{"url", redact_credentials(nats_url)}, {"connected", nats->connected()}}}};
      if (chat_service) stats["service"] = {{"requestsHandled", chat_service->handled()}};
      if (persister) stats["persister"] = {{"stored", persister->stored()}, {"deadLettered", persister->dead_lettered()}};
      if (notifier) stats["notify"] = {{"pushed", notifier->pushed()}};
      if (gateway) {
        std::int64_t connections = 0;
        std::uint64_t sent = 0, deliveries = 0;
        nlohmann::json per_shard = nlohmann::json::array();
        for (const auto& shard : shards) {
          const auto& c = shard->chat().counters();
          connections += c.sockets.load();
          sent += c.messages_sent.load();
          deliveries += c.deliveries.load();
          per_shard.push_back({{"connections", c.sockets.load()}, {"deliveries", c.deliveries.load()}});
        }
        stats["gateway"] = {{"id", gateway->gateway_id},
                            {"connections", connections},
                            {"usersOnline", gateway->users.users()},
                            {"rooms", gateway->rooms.rooms()},
                            {"messagesSent", sent},
                            {"deliveries", deliveries},
                            {"shards", per_shard}};
      }
      return stats;
    });
    web::HttpServerOptions http_options;
    http_options.host = address->first;
    http_options.port = address->second;
    http_options.max_message_bytes = serve_options.max_payload;
    // Polling bodies past maxPayload are read whole and refused by the engine (413); only far
    // larger ones are cut off by the HTTP layer, whose early close a client may not read.
    http_options.max_body_bytes = std::max<std::size_t>(1'000'000, serve_options.max_payload * 8);
    const std::size_t threads = shards.empty() ? listener_threads(serve_options) : shards.size();
    // A new connection goes to the shard whose Engine.IO session its request names.
    web::ConnectionRoute route;
    if (!shards.empty()) route = [](std::string_view target) { return gateway::session_shard(target); };
    auto server = web::HttpShards::start(http_options, threads, route, [&](std::size_t i, web::HttpServer& shard) {
      gateway::GatewayShard* gateway_shard = shards.empty() ? nullptr : shards[i].get();
      if (gateway_shard != nullptr) gateway_shard->attach(shard);
      web::ShardWiring wiring;
      wiring.websocket = gateway_shard != nullptr ? &gateway_shard->websocket() : nullptr;
      wiring.handler = [&, gateway_shard](web::HttpRequest request, web::Respond respond) {
        if (gateway_shard != nullptr && gateway_shard->engine().serves(request.path)) {
          gateway_shard->engine().handle_http(request, std::move(respond));
        } else if (rest && api::is_api_path(request.path)) {
          rest->handle(std::move(request), std::move(respond));
        } else if (api::OpsEndpoints::serves(request.path)) {
          ops->handle(request, std::move(respond));
        } else if (dev_login && api::DevLogin::serves(request.path)) {
          respond(dev_login->handle(request));
        } else if (web_app && web_app->serves(request)) {
          respond(web_app->handle(request));
        } else {
          respond(api::error_response({Errc::not_found, "no route " + request.method + " " + request.path}));
        }
      };
      return wiring;
    });
    if (!server) return fatal(server.error().message);
    http = std::move(*server);
    role_stops.push([&] { http->stop(); });
    listening = address->first + ":" + std::to_string(http->port());
  }
  expose_figures(metrics, nats.get(), gateway_nats.get(), shards, gateway.get(), persister.get(), chat_service.get());
  // First of the stops: no rendering reads the roles' figures once they begin to go.
  role_stops.push([&] { metrics.forget_read_at_render(); });
  const bool embedded_nats = stack && stack->nats();
  const bool embedded_pg = stack && stack->postgres();
  out << "parkchat " << kVersion << " serve (pid " << ::getpid() << ")\n"
      << "  NATS        " << redact_credentials(nats_url) << (embedded_nats ? "  (embedded, log " + (stack->dir() / "nats.log").string() + ")" : "") << "\n"
      << "  PostgreSQL  " << redact_credentials(database_url)
      << (embedded_pg ? "  (embedded, password in " + (stack->dir() / "pg-password").string() + ")" : "") << "\n"
      << "  schema      " << *migrations << " migration(s) applied\n"
      << "  roles       " << (running.empty() ? "none" : running) << " running\n"
      << "  listening   " << (listening.empty() ? "no (neither gateway nor api role)" : "http://" + listening)
      << (shards.empty() ? "" : "  (Socket.IO namespace /chat)") << "\n"
      << "  threads     " << (http ? std::to_string(http->size()) + " listener thread(s) on the port" : "none") << "\n"
      << "  web         " << (web_app ? "http://" + listening + "/" + (dev_login ? "  (sign in as any user: --dev-login)" : "") : "no (no api role)")
      << "\n"
      << "  token       parkchat token --user 1 --name Alice"
      << (settings.value(config::Key::jwt_secret) ? "" : "  (secret in " + (data_dir / "jwt-secret").string() + ")")
      << "\n"
      << "ready; Ctrl-C stops" << std::endl;
  log->info("serve ready nats={} database={}", redact_credentials(nats_url), redact_credentials(database_url));

  wait_for_stop_signal(stop_signals);
  out << "stopping" << std::endl;
  if (!shards.empty()) {
    // Graceful: no new connections or sends; every accepted send acknowledged; then sockets
    // closed with a reason, which clients take as a cue to reconnect elsewhere.
    http->stop_accepting();
    run_on_every_shard(*http, [&](std::size_t i) { shards[i]->chat().stop_sending(); });
    for (auto& shard : shards) shard->chat().wait_for_sends(std::chrono::seconds(5));
    run_on_every_shard(*http, [&](std::size_t i) { shards[i]->engine().close_all("server shutting down"); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    std::atomic<std::size_t> open{1};
    while (open > 0 && std::chrono::steady_clock::now() < deadline) {
      open = 0;
      run_on_every_shard(*http, [&](std::size_t i) { open += http->shard(i).websocket_count(); });
      if (open > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return 0;
}

}  // namespace parkchat::daemon
