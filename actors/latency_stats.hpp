#pragma once
// Call counting and latency percentiles for one plugin: O(1) per call, percentiles on demand.

#include <array>
#include <cstdint>

namespace troupe {

/// Counts calls and failures and keeps the latencies of the last `window` calls.
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
};

} // namespace troupe
