#pragma once
// Counters and latency histograms, rendered in the Prometheus text format for GET /metrics.
// Recording is lock-free (atomics); creating a series takes a lock, so hot paths keep the
// reference they get back. Series live as long as the registry.

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
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

// Buckets from 0.5 ms to 10 s, in seconds as Prometheus expects.
class Histogram {
 public:
  static constexpr std::array<double, 14> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                     0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  void observe(double seconds);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  friend class Registry;
  std::array<std::atomic<std::uint64_t>, kBounds.size()> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};
};

class Registry {
 public:
  // `labels` is the Prometheus label set without braces, e.g. route="GET /rooms",status="200".
  Counter& counter(const std::string& name, const std::string& help, const std::string& labels = "");
  Histogram& histogram(const std::string& name, const std::string& help, const std::string& labels = "");
  std::string render() const;

 private:
  struct Family {
    std::string help;
    std::string type;
    std::map<std::string, Counter*> counters;
    std::map<std::string, Histogram*> histograms;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
  std::deque<Counter> counters_;
  std::deque<Histogram> histograms_;
};

// Escapes a label value (backslash, quote, newline).
std::string label_value(const std::string& value);

}  // namespace parkchat::obs
