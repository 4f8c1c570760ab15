// latency_stats: counting, mean and nearest-rank percentiles over the recent window.

#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "actors/latency_stats.hpp"

namespace troupe {
namespace {

TEST(LatencyStats, EverythingIsZeroBeforeTheFirstCall) {
  latency_stats s;
  EXPECT_EQ(s.calls(), 0u);
  EXPECT_EQ(s.failures(), 0u);
  EXPECT_EQ(s.mean_us(), 0.0);
  EXPECT_EQ(s.percentile_us(0.5), 0.0);
  EXPECT_EQ(s.percentile_us(0.99), 0.0);
}

TEST(LatencyStats, CountsCallsAndFailures) {
  latency_stats s;
  s.record(1000, false);
  s.record(2000, true);
  s.record(3000, false);
  s.record(4000, true);
  EXPECT_EQ(s.calls(), 4u);
  EXPECT_EQ(s.failures(), 2u);
}

TEST(LatencyStats, PercentilesOfOneToHundredMicrosecondsAreNearestRank) {
  latency_stats s;
  // Recorded out of order: 100, 99, ..., 1 microseconds.
  for (std::uint64_t us = 100; us >= 1; --us)
    s.record(us * 1000, false);
  EXPECT_DOUBLE_EQ(s.mean_us(), 50.5);
  EXPECT_DOUBLE_EQ(s.percentile_us(0.50), 50.0);
  EXPECT_DOUBLE_EQ(s.percentile_us(0.99), 99.0);
  EXPECT_DOUBLE_EQ(s.percentile_us(1.0), 100.0);
  EXPECT_DOUBLE_EQ(s.percentile_us(0.01), 1.0);
  EXPECT_DOUBLE_EQ(s.percentile_us(0.9), 90.0);
}

TEST(LatencyStats, SingleCallIsEveryPercentile) {
  latency_stats s;
  s.record(2500, false);
  EXPECT_DOUBLE_EQ(s.mean_us(), 2.5);
  EXPECT_DOUBLE_EQ(s.percentile_us(0.5), 2.5);
  EXPECT_DOUBLE_EQ(s.percentile_us(0.99), 2.5);
}

TEST(LatencyStats, OutOfRangeQuantilesAreClamped) {
  latency_stats s;
  for (std::uint64_t us : {10, 20, 30})
    s.record(us * 1000, false);
  EXPECT_DOUBLE_EQ(s.percentile_us(0.0), 10.0);
  EXPECT_DOUBLE_EQ(s.percentile_us(-1.0), 10.0);
  EXPECT_DOUBLE_EQ(s.percentile_us(2.0), 30.0);
}

TEST(LatencyStats, PercentilesCoverOnlyTheRecentWindowButMeanCoversAll) {
  latency_stats s;
  // One window of slow calls (1 ms), then one window of fast calls (1 us) replaces them all.
  for (std::size_t i = 0; i < latency_stats::window; ++i)
    s.record(1'000'000, false);
  for (std::size_t i = 0; i < latency_stats::window; ++i)
    s.record(1'000, false);
  EXPECT_EQ(s.calls(), 2 * latency_stats::window);
  EXPECT_DOUBLE_EQ(s.percentile_us(0.99), 1.0);
  EXPECT_DOUBLE_EQ(s.percentile_us(1.0), 1.0);
  EXPECT_DOUBLE_EQ(s.mean_us(), 500.5);
}

TEST(LatencyStats, PartlyReplacedWindowMixesOldAndNew) {
  latency_stats s;
  for (std::size_t i = 0; i < latency_stats::window; ++i)
    s.record(1'000, false);
  // 11 slow calls overwrite the oldest 11 fast ones: just over 1% of the window is slow.
  for (int i = 0; i < 11; ++i)
    s.record(9'000, false);
  EXPECT_DOUBLE_EQ(s.percentile_us(0.50), 1.0);
  EXPECT_DOUBLE_EQ(s.percentile_us(0.99), 9.0);
}

TEST(LatencyStats, HugeLatenciesSaturateInPercentilesButNotInTheMean) {
  latency_stats s;
  const std::uint64_t ten_seconds = 10'000'000'000ull;
  s.record(ten_seconds, false);
  EXPECT_DOUBLE_EQ(s.mean_us(), 10'000'000.0);
  EXPECT_DOUBLE_EQ(s.percentile_us(1.0), std::numeric_limits<std::uint32_t>::max() / 1000.0);
}

} // namespace
} // namespace troupe
