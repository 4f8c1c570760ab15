#pragma once
// The restart intensity of one supervisor: a sliding window of restart times.

#include <chrono>
#include <deque>

#include "actors/supervision/supervision_spec.hpp"

namespace troupe {

/// Counts restarts in a sliding window. Time is passed in, so tests drive it.
class restart_intensity {
public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit restart_intensity(intensity_policy policy) : policy_(policy) {}

  /// Records a restart at `now`. False when it is more than max_restarts within `within`:
  /// the supervisor must escalate instead of restarting. `now` must not go backwards.
  bool admit(time_point now);

  /// Forgets every recorded restart (a restarted supervisor starts afresh).
  void reset() { times_.clear(); }

  /// Restarts recorded within the window as of the last admit.
  std::size_t recent() const { return times_.size(); }

private:
  intensity_policy policy_;
  std::deque<time_point> times_;
};

} // namespace troupe
