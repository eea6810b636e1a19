#include "core/sim/report.hpp"

#include <cstdio>
#include <optional>
#include <sstream>

namespace parkchat::sim {
namespace {

double ms(std::int64_t micros) { return static_cast<double>(micros) / 1000.0; }

nlohmann::json latency(const Histogram& h) {
  return {{"p50", ms(h.percentile(50))}, {"p90", ms(h.percentile(90))}, {"p99", ms(h.percentile(99))},
          {"p999", ms(h.percentile(99.9))}, {"max", ms(h.max())}, {"count", h.count()}};
}

// The value of a metric of --assert, or nullopt for an unknown one.
std::optional<double> metric(const Report& r, const std::string& name) {
  const bool ack = name.rfind("ack_", 0) == 0;
  const Histogram& h = ack ? r.ack_latency : r.delivery_latency;
  const std::string p = ack ? name.substr(4) : name;
  if (p == "p50") return ms(h.percentile(50));
  if (p == "p90") return ms(h.percentile(90));
  if (p == "p99") return ms(h.percentile(99));
  if (p == "p999") return ms(h.percentile(99.9));
  if (p == "max") return ms(h.max());
  if (name == "lost") return static_cast<double>(r.deliveries.lost);
  if (name == "dup") return static_cast<double>(r.deliveries.duplicated);
  if (name == "order") return static_cast<double>(r.deliveries.out_of_order);
  if (name == "history") return static_cast<double>(r.missing_in_history);
  if (name == "failed") return static_cast<double>(r.failed);
  return std::nullopt;
}

std::string fixed(double value, int decimals = 1) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

}  // namespace

Result<std::vector<Threshold>> parse_thresholds(const std::string& text) {
  std::vector<Threshold> out;
  std::stringstream items(text);
  for (std::string item; std::getline(items, item, ',');) {
    if (item.empty()) continue;
    Threshold t;
    t.text = item;
    std::size_t at = item.find_first_of("<=>");
    if (at == std::string::npos || at == 0) return fail(Errc::validation, "--assert '" + item + "': expected METRIC<VALUE");
    t.metric = item.substr(0, at);
    std::size_t after = at + 1;
    if (after < item.size() && item[after] == '=') ++after;
    t.op = item.substr(at, after - at);
    std::string number = item.substr(after);
    if (number.size() > 2 && number.compare(number.size() - 2, 2, "ms") == 0) number.resize(number.size() - 2);
    try {
      std::size_t used = 0;
      t.value = std::stod(number, &used);
      if (used != number.size()) throw std::invalid_argument(number);
    } catch (const std::exception&) {
      return fail(Errc::validation, "--assert '" + item + "': '" + number + "' is not a number");
    }
    if (t.op != "<" && t.op != "<=" && t.op != "=" && t.op != ">=" && t.op != ">") {
      return fail(Errc::validation, "--assert '" + item + "': use <, <=, =, >= or >");
    }
    if (!metric(Report{}, t.metric)) {
      return fail(Errc::validation, "--assert '" + item + "': unknown metric '" + t.metric +
                                        "' (p50, p90, p99, p999, max, ack_p99…, lost, dup, order, history, failed)");
    }
    out.push_back(t);
  }
  return out;
}

Verdict judge(const Report& r, const std::vector<Threshold>& thresholds) {
  Verdict v;
  auto check = [&](bool ok, const std::string& what) {
    if (!ok) {
      v.passed = false;
      v.failures.push_back(what);
    }
  };
  check(r.deliveries.lost == 0, std::to_string(r.deliveries.lost) + " deliveries lost");
  check(r.deliveries.duplicated == 0, std::to_string(r.deliveries.duplicated) + " deliveries duplicated");
  check(r.deliveries.out_of_order == 0, std::to_string(r.deliveries.out_of_order) + " deliveries out of order");
  check(r.missing_in_history == 0, std::to_string(r.missing_in_history) + " acknowledged messages missing from history");
  check(r.duplicated_in_history == 0, std::to_string(r.duplicated_in_history) + " messages twice in history");
  check(r.failed == 0, std::to_string(r.failed) + " clients never joined their room");
  for (const auto& t : thresholds) {
    const double value = *metric(r, t.metric);
    const bool ok = t.op == "<" ? value < t.value : t.op == "<=" ? value <= t.value : t.op == "=" ? value == t.value
                  : t.op == ">=" ? value >= t.value : value > t.value;
    check(ok, t.text + " (was " + fixed(value, 2) + ")");
  }
  return v;
}

nlohmann::json to_json(const Report& r, const Verdict& verdict) {
  const double seconds = r.send_seconds > 0 ? r.send_seconds : 1;
  return {{"scenario", r.scenario},
          {"clients", {{"target", r.target}, {"connected", r.connected}, {"failed", r.failed},
                       {"connectMs", latency(r.connect_time)}, {"socketOpenMs", latency(r.socket_open_time)}}},
          {"messages", {{"sent", r.sent}, {"acked", r.acked}, {"ackedThroughRest", r.rest_sends}, {"delivered", r.deliveries.delivered},
                        {"expected", r.deliveries.expected}, {"lost", r.deliveries.lost},
                        {"lostMessages", r.deliveries.lost_messages}, {"lostRecipients", r.deliveries.lost_recipients},
                        {"duplicated", r.deliveries.duplicated}, {"outOfOrder", r.deliveries.out_of_order},
                        {"unexpected", r.deliveries.unexpected}, {"missingInHistory", r.missing_in_history},
                        {"duplicatedInHistory", r.duplicated_in_history}, {"caughtUpFromHistory", r.caught_up},
                        {"resent", r.resent}, {"neverAcked", r.never_acked},
                        // The older count, which forgave a client everything after it lost its room.
                        {"forgiving", {{"expected", r.forgiving.expected}, {"delivered", r.forgiving.delivered},
                                       {"lost", r.forgiving.lost}}}}},
          {"errors", r.errors},
          {"latency_ms",
           {{"ack", latency(r.ack_latency)}, {"ackedAttempt", latency(r.attempt_latency)}, {"delivery", latency(r.delivery_latency)}}},
          {"rate", {{"sentPerSec", static_cast<double>(r.sent) / seconds},
                    {"ackedPerSec", static_cast<double>(r.acked) / seconds},
                    {"deliveredPerSec", static_cast<double>(r.deliveries.delivered) / seconds}}},
          {"simulator", {{"threads", r.simulator_threads},
                         {"cpuSeconds", r.simulator_cpu_seconds},
                         {"wallSeconds", r.simulator_wall_seconds},
                         {"busiestLoopShare", r.busiest_loop_share},
                         {"saturated", r.busiest_loop_share >= kSaturatedLoopShare}}},
          {"passed", verdict.passed},
          {"failures", verdict.failures}};
}

std::string summary_table(const Report& r, const Verdict& verdict) {
  const double seconds = r.send_seconds > 0 ? r.send_seconds : 1;
  std::ostringstream out;
  auto row = [&](const std::string& name, const std::string& value) {
    out << "  " << name << std::string(name.size() < 26 ? 26 - name.size() : 1, '.') << " " << value << "\n";
  };
  auto lat = [&](const Histogram& h) {
    return "p50 " + fixed(ms(h.percentile(50)), 2) + "  p90 " + fixed(ms(h.percentile(90)), 2) + "  p99 " +
           fixed(ms(h.percentile(99)), 2) + "  p99.9 " + fixed(ms(h.percentile(99.9)), 2) + "  max " + fixed(ms(h.max()), 2) + " ms";
  };
  out << "\nscenario " << r.scenario << ", " << fixed(r.send_seconds) << " s of sending\n\n";
  row("clients connected", std::to_string(r.connected) + " / " + std::to_string(r.target) + " (" + std::to_string(r.failed) + " failed)");
  row("connect time", lat(r.connect_time));
  row("  of it socket open", lat(r.socket_open_time));
  row("messages sent", std::to_string(r.sent) + "  (" + fixed(static_cast<double>(r.sent) / seconds) + "/s)");
  row("messages acked", std::to_string(r.acked) + "  (" + fixed(static_cast<double>(r.acked) / seconds) + "/s; " +
                            std::to_string(r.rest_sends) + " through REST)");
  row("deliveries", std::to_string(r.deliveries.delivered) + " of " + std::to_string(r.deliveries.expected) + "  (" +
                        fixed(static_cast<double>(r.deliveries.delivered) / seconds) + "/s)");
  row("send -> ack", lat(r.ack_latency));
  row("send -> delivery", lat(r.delivery_latency));
  row("lost / dup / out of order", std::to_string(r.deliveries.lost) + " / " + std::to_string(r.deliveries.duplicated) + " / " +
                                       std::to_string(r.deliveries.out_of_order));
  if (r.deliveries.lost > 0) {
    row("losses fall on", std::to_string(r.deliveries.lost_messages) + " message(s) and " +
                              std::to_string(r.deliveries.lost_recipients) + " recipient(s), at most " +
                              std::to_string(r.deliveries.most_lost_by_one_recipient) + " for one; e.g. message " +
                              r.deliveries.a_lost_message);
  }
  row("lost, forgiving", std::to_string(r.forgiving.lost) + " of " + std::to_string(r.forgiving.expected) +
                             " (owed only while connected, nothing after a reconnect)");
  if (r.caught_up + r.resent + r.never_acked > 0) {
    row("after reconnects", std::to_string(r.caught_up) + " caught up from history, " + std::to_string(r.resent) +
                                " sends resent, " + std::to_string(r.never_acked) + " never acknowledged");
  }
  row("missing from history", std::to_string(r.missing_in_history));
  for (const auto& [code, count] : r.errors) row("error " + code, std::to_string(count));
  row("simulator", std::to_string(r.simulator_threads) + " loop(s), " + fixed(r.simulator_cpu_seconds, 1) +
                       " s CPU in " + fixed(r.simulator_wall_seconds, 1) + " s, busiest loop " +
                       fixed(100 * r.busiest_loop_share) + " % busy");
  if (r.busiest_loop_share >= kSaturatedLoopShare) {
    out << "\n  the simulator was saturated: these figures are its limit, not the server's (--threads)\n";
  }
  out << "\n" << (verdict.passed ? "PASSED" : "FAILED") << "\n";
  for (const auto& f : verdict.failures) out << "  - " << f << "\n";
  return out.str();
}

namespace {

void add_counts(DeliveryVerifier::Counts& into, const DeliveryVerifier::Counts& part) {
  into.expected += part.expected;
  into.delivered += part.delivered;
  into.lost += part.lost;
  into.duplicated += part.duplicated;
  into.out_of_order += part.out_of_order;
  into.unexpected += part.unexpected;
  // Loops own whole rooms, so no message or recipient is counted by two loops.
  into.lost_messages += part.lost_messages;
  into.lost_recipients += part.lost_recipients;
  into.most_lost_by_one_recipient = std::max(into.most_lost_by_one_recipient, part.most_lost_by_one_recipient);
  if (into.a_lost_message.empty()) into.a_lost_message = part.a_lost_message;
}

}  // namespace

// Adds one loop's findings to the whole run's.
void merge_into(Report& into, const Report& part) {
  into.connected += part.connected;
  into.failed += part.failed;
  into.connect_time.merge(part.connect_time);
  into.socket_open_time.merge(part.socket_open_time);
  into.sent += part.sent;
  into.acked += part.acked;
  into.rest_sends += part.rest_sends;
  for (const auto& [code, n] : part.errors) into.errors[code] += n;
  add_counts(into.deliveries, part.deliveries);
  add_counts(into.forgiving, part.forgiving);
  into.caught_up += part.caught_up;
  into.resent += part.resent;
  into.never_acked += part.never_acked;
  into.ack_latency.merge(part.ack_latency);
  into.attempt_latency.merge(part.attempt_latency);
  into.delivery_latency.merge(part.delivery_latency);
  into.send_seconds = std::max(into.send_seconds, part.send_seconds);
  into.busiest_loop_share = std::max(into.busiest_loop_share, part.busiest_loop_share);
}

}  // namespace parkchat::sim
