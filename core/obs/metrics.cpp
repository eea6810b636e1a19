#include "core/obs/metrics.hpp"

#include <cmath>
#include <cstdio>

namespace parkchat::obs {
namespace {

std::string with_labels(const std::string& name, const std::string& labels, const std::string& extra = "") {
  std::string all = labels;
  if (!extra.empty()) all += (all.empty() ? "" : ",") + extra;
  return all.empty() ? name : name + "{" + all + "}";
}

// Whole numbers exactly (counters grow past six digits), fractions with six significant ones.
std::string number(double v) {
  char buffer[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buffer, sizeof buffer, "%.0f", v);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.6g", v);
  }
  return buffer;
}

}  // namespace

void Histogram::observe(double value) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(value < 0 ? 0 : value * 1e6), std::memory_order_relaxed);
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

Histogram& Registry::histogram(const std::string& name, const std::string& help, const std::string& labels,
                               const std::array<double, 14>& bounds) {
  std::lock_guard lock(mutex_);
  Family& family = families_[name];
  family.help = help;
  family.type = "histogram";
  Histogram*& slot = family.histograms[labels];
  if (slot == nullptr) slot = &histograms_.emplace_back(bounds);
  return *slot;
}

void Registry::read_at_render(const std::string& name, const std::string& help, const std::string& type,
                              const std::string& labels, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  Family& family = families_[name];
  family.help = help;
  family.type = type;
  family.reads[labels] = std::move(read);
}

void Registry::forget_read_at_render() {
  std::lock_guard lock(mutex_);
  for (auto it = families_.begin(); it != families_.end();) {
    it->second.reads.clear();
    const bool empty = it->second.counters.empty() && it->second.histograms.empty();
    it = empty ? families_.erase(it) : std::next(it);
  }
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + family.help + "\n# TYPE " + name + " " + family.type + "\n";
    for (const auto& [labels, c] : family.counters) out += with_labels(name, labels) + " " + std::to_string(c->value()) + "\n";
    for (const auto& [labels, read] : family.reads) out += with_labels(name, labels) + " " + number(read()) + "\n";
    for (const auto& [labels, h] : family.histograms) {
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < h->bounds_.size(); ++i) {
        cumulative += h->buckets_[i].load(std::memory_order_relaxed);
        out += with_labels(name + "_bucket", labels, "le=\"" + number(h->bounds_[i]) + "\"") + " " +
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
