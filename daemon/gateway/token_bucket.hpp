#pragma once
// A token bucket: `rate` tokens a second, holding at most `burst`. Pure; the caller's clock.

#include <algorithm>
#include <chrono>

namespace parkchat::gateway {

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

 private:
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point updated_;
};

}  // namespace parkchat::gateway
