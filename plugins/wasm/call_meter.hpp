#pragma once
// The fuel and wall-time budget of one call into a WebAssembly module (docs/wasm-plugins.md,
// "Limits"). The rewritten module (metering.hpp) lowers a gauge as it runs and calls tick() when
// the gauge drops below zero; the meter hands out the budget in slices so that the wall clock is
// read once per slice. Not thread-safe: one module, one thread at a time.

#include <chrono>
#include <cstdint>
#include <string>

namespace troupe::wasm {

/// Why a call was stopped by its host.
enum class stop_reason : std::uint8_t { none, fuel, wall_time, memory };

/// Budget bookkeeping for one call at a time.
class call_meter {
public:
  using clock = std::chrono::steady_clock;

  /// Fuel per slice: the most instructions run between two reads of the clock.
  static constexpr std::int64_t slice = 100'000;

  /// `fuel` instructions and `wall_time` per call; 0 disables either.
  call_meter(std::uint64_t fuel, std::chrono::milliseconds wall_time)
    : fuel_(fuel), wall_time_(wall_time) {}

  /// Starts a call at `now`; answers the gauge's first value.
  std::int64_t arm(clock::time_point now);

  /// The gauge fell to `gauge` (< 0): charges the slice and answers the refilled gauge, or -1
  /// after setting stopped() when the fuel or the time is spent.
  std::int64_t tick(std::int64_t gauge, clock::time_point now);

  /// The call ended with the gauge at `gauge`: charges what it used.
  void finish(std::int64_t gauge);

  /// Records a stop the meter did not decide (memory).
  void stop(stop_reason why) { stopped_ = why; }

  /// Why the current (or last) call was stopped; none if it was not.
  stop_reason stopped() const { return stopped_; }

  /// Instructions charged to the current (or last) call.
  std::uint64_t used() const { return used_; }

  /// The limit message for `why`, e.g. "fuel limit exceeded (1000 instructions per call)".
  std::string stop_message(stop_reason why, std::uint32_t memory_pages) const;

  std::uint64_t fuel() const { return fuel_; }
  std::chrono::milliseconds wall_time() const { return wall_time_; }

private:
  /// The next slice: at most `slice`, at most what is left of the fuel.
  std::int64_t grant();

  std::uint64_t fuel_;
  std::chrono::milliseconds wall_time_;
  clock::time_point deadline_{};
  std::uint64_t used_ = 0;
  std::int64_t granted_ = 0;
  stop_reason stopped_ = stop_reason::none;
};

} // namespace troupe::wasm
