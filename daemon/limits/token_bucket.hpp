#pragma once
// A token bucket: `rate` tokens a second, holding at most `burst`. Pure; the caller's clock.

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace parkchat::limits {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(double rate, double burst, Clock::time_point now = Clock::now())
      : rate_(rate), burst_(burst), tokens_(burst), updated_(now) {}

  // Takes one token if there is one.
  bool take(Clock::time_point now) {
    const double elapsed = std::chrono::duration<double>(now - updated_).count();
    if (elapsed > 0) {
      tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
      updated_ = now;
    }
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

  // Returns a token taken for something that did not happen.
  void give_back() { tokens_ = std::min(burst_, tokens_ + 1.0); }

  // Whether the bucket is as full as it can be at `now` (one not used lately).
  bool full(Clock::time_point now) const {
    return tokens_ + std::chrono::duration<double>(now - updated_).count() * rate_ >= burst_;
  }

  // How long until take() can succeed again (as of the last take()), for a retry hint.
  std::chrono::milliseconds retry_after() const {
    if (tokens_ >= 1.0 || rate_ <= 0) return std::chrono::milliseconds(0);
    return std::chrono::milliseconds(static_cast<std::int64_t>((1.0 - tokens_) / rate_ * 1000.0) + 1);
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point updated_;
};

}  // namespace parkchat::limits
