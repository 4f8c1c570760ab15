#include "actors/supervision/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace troupe {

std::chrono::nanoseconds backoff::next(time_point now, double unit_random) {
  if (last_ && now - *last_ >= policy_.reset_after)
    consecutive_ = 0;
  last_ = now;
  auto k = consecutive_++;
  using nanos = std::chrono::duration<double, std::nano>;
  double min = nanos(policy_.min).count();
  double max = nanos(policy_.max).count();
  if (min <= 0.0)
    return std::chrono::nanoseconds{0};
  double base = min * std::pow(policy_.multiplier, static_cast<double>(std::min<std::size_t>(k, 64)));
  base = std::min(base, max);
  double spread = 1.0 + policy_.jitter * (2.0 * std::clamp(unit_random, 0.0, 1.0) - 1.0);
  double delay = std::clamp(base * spread, 0.0, max);
  return std::chrono::nanoseconds{static_cast<std::int64_t>(delay)};
}

} // namespace troupe
