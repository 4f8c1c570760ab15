#include "actors/latency_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace troupe {

void latency_stats::record(std::uint64_t nanos, bool failed) {
  constexpr std::uint64_t cap = std::numeric_limits<std::uint32_t>::max();
  recent_[measured_ % window] = static_cast<std::uint32_t>(std::min(nanos, cap));
  ++measured_;
  ++calls_;
  total_nanos_ += nanos;
  std::size_t bucket = 0;
  while (bucket < latency_bounds_us.size() && static_cast<double>(nanos) > latency_bounds_us[bucket] * 1000.0)
    ++bucket;
  ++buckets_[bucket];
  if (failed)
    ++failures_;
}

void latency_stats::record_rejected() {
  ++calls_;
  ++failures_;
}

double latency_stats::mean_us() const {
  if (measured_ == 0)
    return 0;
  return static_cast<double>(total_nanos_) / static_cast<double>(measured_) / 1000.0;
}

double latency_stats::percentile_us(double q) const {
  auto n = static_cast<std::size_t>(std::min<std::uint64_t>(measured_, window));
  if (n == 0)
    return 0;
  std::vector<std::uint32_t> sorted(recent_.begin(), recent_.begin() + static_cast<long>(n));
  auto rank = static_cast<std::size_t>(std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(n)));
  auto index = rank == 0 ? 0 : rank - 1;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(index), sorted.end());
  return sorted[index] / 1000.0;
}

} // namespace troupe
