#include "core/sim/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace parkchat::sim {

// Values below 64 have slots of their own; above, bucket b (b >= 1) holds [64·2^(b-1), 64·2^b)
// in 64 slots of 2^(b-1) each.
int Histogram::index_of(std::int64_t value) {
  if (value < kSub) return static_cast<int>(value);
  const int magnitude = 63 - __builtin_clzll(static_cast<unsigned long long>(value));  // floor(log2)
  const int bucket = magnitude - kSubBits + 1;
  const int sub = static_cast<int>((value >> (bucket - 1)) - kSub);
  return std::min(bucket * kSub + sub, kBuckets * kSub - 1);
}

std::int64_t Histogram::value_of(int index) {
  const int bucket = index / kSub;
  const int sub = index % kSub;
  if (bucket == 0) return sub;
  return ((static_cast<std::int64_t>(kSub + sub + 1)) << (bucket - 1)) - 1;
}

void Histogram::record(std::int64_t micros) {
  const std::int64_t value = std::max<std::int64_t>(micros, 0);
  ++counts_[static_cast<std::size_t>(index_of(value))];
  ++count_;
  max_ = std::max(max_, value);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::int64_t Histogram::percentile(double percent) const {
  if (count_ == 0) return 0;
  const auto wanted = static_cast<std::uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= std::max<std::uint64_t>(wanted, 1)) return std::min(value_of(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace parkchat::sim
