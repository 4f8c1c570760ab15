#pragma once
// Exponential backoff with jitter between the restarts of one child.

#include <chrono>
#include <cstddef>
#include <optional>

#include "actors/supervision/supervision_spec.hpp"

namespace troupe {

/// The delays of consecutive restarts of one child (see backoff_policy). Time and randomness are
/// passed in, so tests are deterministic.
class backoff {
public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit backoff(backoff_policy policy) : policy_(policy) {}

  /// The delay of a restart decided at `now`; counts it. `unit_random` is in [0, 1) and picks
  /// the jitter (0.5: none).
  std::chrono::nanoseconds next(time_point now, double unit_random);

  /// Restarts counted since the last quiet period (0 before the first).
  std::size_t consecutive() const { return consecutive_; }

  /// Back to the first delay.
  void reset() {
    consecutive_ = 0;
    last_.reset();
  }

private:
  backoff_policy policy_;
  std::size_t consecutive_ = 0;
  std::optional<time_point> last_;
};

} // namespace troupe
