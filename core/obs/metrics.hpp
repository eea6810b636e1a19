#pragma once
// Counters and latency histograms, rendered in the Prometheus text format for GET /metrics.
// Recording is lock-free (atomics); creating a series takes a lock, so hot paths keep the
// reference they get back. Series live as long as the registry.

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace parkchat::obs {

class Counter {
 public:
  void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// Upper bounds of buckets: latencies from 0.5 ms to 10 s (in seconds, as Prometheus expects),
// or sizes from 1 to 4,096.
inline constexpr std::array<double, 14> kSecondsBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                           0.1,    0.25,  0.5,    1,     2.5,  5,     10};
inline constexpr std::array<double, 14> kSizeBuckets = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};

class Histogram {
 public:
  explicit Histogram(const std::array<double, 14>& bounds = kSecondsBuckets) : bounds_(bounds) {}
  void observe(double value);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  friend class Registry;
  std::array<double, 14> bounds_;
  std::array<std::atomic<std::uint64_t>, 14> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};  // the sum in millionths
};

class Registry {
 public:
  // `labels` is the Prometheus label set without braces, e.g. route="GET /rooms",status="200".
  Counter& counter(const std::string& name, const std::string& help, const std::string& labels = "");
  Histogram& histogram(const std::string& name, const std::string& help, const std::string& labels = "",
                       const std::array<double, 14>& bounds = kSecondsBuckets);
  // A series whose value is read when /metrics is rendered (a gauge, or a counter kept
  // elsewhere); `read` must be callable from any thread for as long as the registry renders.
  void read_at_render(const std::string& name, const std::string& help, const std::string& type,
                      const std::string& labels, std::function<double()> read);
  // Forgets the series read at render time (before what they read goes away).
  void forget_read_at_render();
  std::string render() const;

 private:
  struct Family {
    std::string help;
    std::string type;
    std::map<std::string, Counter*> counters;
    std::map<std::string, Histogram*> histograms;
    std::map<std::string, std::function<double()>> reads;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
  std::deque<Counter> counters_;
  std::deque<Histogram> histograms_;
};

// Escapes a label value (backslash, quote, newline).
std::string label_value(const std::string& value);

}  // namespace parkchat::obs
