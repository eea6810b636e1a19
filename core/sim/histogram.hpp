#pragma once
// A latency histogram in the manner of HdrHistogram: buckets that double in width, each split
// into 64 linear sub-buckets, so any recorded value is kept within 1/64 (1.6 %) of itself from
// a microsecond to hours, in a few kilobytes. Pure.

#include <array>
#include <cstdint>

namespace parkchat::sim {

class Histogram {
 public:
  // Records a value in microseconds (negative values count as 0).
  void record(std::int64_t micros);
  void merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  std::int64_t max() const { return max_; }
  // The value at or below which `percent` of the recorded values lie (0 when empty).
  std::int64_t percentile(double percent) const;

 private:
  static constexpr int kSubBits = 6;  // 64 sub-buckets
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = 40;  // up to 2^45 µs, about a year
  static int index_of(std::int64_t value);
  static std::int64_t value_of(int index);  // the highest value of a slot

  std::array<std::uint64_t, kBuckets * kSub> counts_{};
  std::uint64_t count_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace parkchat::sim
