#pragma once
// Call counting and latency percentiles for one plugin: O(1) per call, percentiles on demand.

#include <array>
#include <cstdint>

namespace troupe {

/// Upper bounds (microseconds) of the latency histogram's buckets, the last one +Inf implied:
/// 10 us to 10 s (Prometheus's `le` labels, docs/gateway.md).
inline constexpr std::array<double, 15> latency_bounds_us{
  10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 500000, 1000000, 10000000};

/// Counts calls and failures, keeps the latencies of the last `window` calls, and a histogram of
/// every latency since construction.
/// Not thread-safe: owned by one actor.
class latency_stats {
public:
  static constexpr std::size_t window = 1024;

  /// Records one call that took `nanos` nanoseconds.
  void record(std::uint64_t nanos, bool failed);

  /// Records a call refused before it ran (e.g. not Running): a call and a failure, no latency.
  void record_rejected();

  std::uint64_t calls() const { return calls_; }
  std::uint64_t failures() const { return failures_; }

  /// Calls per bucket of latency_bounds_us (not cumulative), the last entry past every bound.
  const std::array<std::uint64_t, latency_bounds_us.size() + 1>& buckets() const {
    return buckets_;
  }

  /// The sum of every measured latency, in microseconds.
  double sum_us() const { return static_cast<double>(total_nanos_) / 1000.0; }

  /// Mean over every measured call since construction, in microseconds; 0 before the first.
  double mean_us() const;

  /// The q-quantile (0 < q <= 1) of the recent window, in microseconds (nearest rank);
  /// 0 before the first call.
  double percentile_us(double q) const;

private:
  std::uint64_t calls_ = 0;
  std::uint64_t failures_ = 0;
  std::uint64_t measured_ = 0; // calls with a latency sample
  std::uint64_t total_nanos_ = 0;
  std::array<std::uint32_t, window> recent_{}; // nanoseconds, saturated at ~4.29 s
  std::array<std::uint64_t, latency_bounds_us.size() + 1> buckets_{};
};

} // namespace troupe
