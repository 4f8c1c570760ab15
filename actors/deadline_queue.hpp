#pragma once
// Deadlines of an actor's outstanding requests, checked on its own tick instead of one CAF
// timeout each (every CAF request timeout wakes CAF's clock thread: thousands of them at once,
// as when a node starts 10,000 plugins, cost more than the requests).

#include <functional>
#include <map>
#include <memory>

#include <caf/actor_clock.hpp>

namespace troupe::detail {

/// Not thread-safe: one per actor, used on its thread.
class deadline_queue {
public:
  using time_point = caf::actor_clock::time_point;

  /// Settled once: by the answer (which then checks and sets it) or by the expiry.
  using settled_flag = std::shared_ptr<bool>;

  /// Registers `on_expiry`, run by expire() once `due` has passed unless the returned flag has
  /// been set by then (the answer came).
  settled_flag add(time_point due, std::function<void()> on_expiry);

  /// Runs, in order of due time, the expiry of every unsettled entry due at `now` (and settles it);
  /// forgets the settled ones that are due.
  void expire(time_point now);

  /// Forgets every entry without running it (its actor ends; the closures may hold handles).
  void clear() { entries_.clear(); }

  /// Entries not yet forgotten.
  std::size_t size() const { return entries_.size(); }

private:
  struct entry {
    settled_flag settled;
    std::function<void()> on_expiry;
  };
  std::multimap<time_point, entry> entries_;
};

} // namespace troupe::detail
