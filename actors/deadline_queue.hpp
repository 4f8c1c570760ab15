#pragma once
// Deadlines of an actor's outstanding requests, checked on its own tick instead of one CAF
// timeout each (every CAF request timeout wakes CAF's clock thread: thousands of them at once,
// as when a node starts 10,000 plugins, cost more than the requests).

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <utility>

#include <caf/actor_clock.hpp>

namespace troupe::detail {

/// Not thread-safe: one per actor, used on its thread. An entry is forgotten as soon as it is
/// settled (by its answer or its expiry), so the queue holds only requests still outstanding.
class deadline_queue {
public:
  using time_point = caf::actor_clock::time_point;
  using ticket = std::uint64_t;

  /// Registers `on_expiry`, run by expire() once `due` has passed unless settle(ticket) came
  /// first (the answer came).
  ticket add(time_point due, std::function<void()> on_expiry);

  /// Settles the entry: true if it was outstanding (the answer counts; its expiry will not
  /// run), false if it had expired already (a late answer, to be dropped).
  bool settle(ticket t);

  /// Runs, in order of due time, the expiry of every entry due at `now` and forgets it.
  void expire(time_point now);

  /// Forgets every entry without running it (its actor ends; the closures may hold handles).
  void clear() {
    entries_.clear();
    due_of_.clear();
  }

  /// Entries outstanding.
  std::size_t size() const { return entries_.size(); }

private:
  std::map<std::pair<time_point, ticket>, std::function<void()>> entries_;
  std::unordered_map<ticket, time_point> due_of_;
  ticket next_ = 1;
};

} // namespace troupe::detail
