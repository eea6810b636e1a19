#include "core/obs/metrics.hpp"

#include <cstdio>

namespace parkchat::obs {
namespace {

std::string with_labels(const std::string& name, const std::string& labels, const std::string& extra = "") {
  std::string all = labels;
  if (!extra.empty()) all += (all.empty() ? "" : ",") + extra;
  return all.empty() ? name : name + "{" + all + "}";
}

std::string number(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

}  // namespace

void Histogram::observe(double seconds) {
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

Counter& Registry::counter(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard lock(mutex_);
  Family& family = families_[name];
  family.help = help;
  family.type = "counter";
  Counter*& slot = family.counters[labels];
  if (slot == nullptr) slot = &counters_.emplace_back();
  return *slot;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard lock(mutex_);
  Family& family = families_[name];
  family.help = help;
  family.type = "histogram";
  Histogram*& slot = family.histograms[labels];
  if (slot == nullptr) slot = &histograms_.emplace_back();
  return *slot;
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + family.help + "\n# TYPE " + name + " " + family.type + "\n";
    for (const auto& [labels, c] : family.counters) out += with_labels(name, labels) + " " + std::to_string(c->value()) + "\n";
    for (const auto& [labels, h] : family.histograms) {
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < Histogram::kBounds.size(); ++i) {
        cumulative += h->buckets_[i].load(std::memory_order_relaxed);
        out += with_labels(name + "_bucket", labels, "le=\"" + number(Histogram::kBounds[i]) + "\"") + " " +
               std::to_string(cumulative) + "\n";
      }
      const std::uint64_t count = h->count();
      out += with_labels(name + "_bucket", labels, "le=\"+Inf\"") + " " + std::to_string(count) + "\n";
      out += with_labels(name + "_sum", labels) + " " +
             number(static_cast<double>(h->sum_micros_.load(std::memory_order_relaxed)) / 1e6) + "\n";
      out += with_labels(name + "_count", labels) + " " + std::to_string(count) + "\n";
    }
  }
  return out;
}

std::string label_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace parkchat::obs
