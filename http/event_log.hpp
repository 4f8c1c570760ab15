#pragma once
// The recent runtime events of a node, for the HTTP door's live view and metrics: an actor
// subscribed to the manager's events writes them here; HTTP threads read them.

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "messages/manager_protocol.hpp"
#include "messages/runtime_event.hpp"

namespace troupe {

/// Keeps the last `capacity` events, each with a sequence number (1, 2, ...), and the count of
/// every kind seen. Thread-safe.
class event_log {
public:
  explicit event_log(std::size_t capacity = 256) : capacity_(capacity) {}

  /// Appends one event.
  void add(const runtime_event& e);

  /// The events numbered after `after` that are still kept (oldest first), and the number of the
  /// last one (pass it as `after` next time).
  std::pair<std::vector<std::pair<std::uint64_t, runtime_event>>, std::uint64_t>
  since(std::uint64_t after) const;

  /// Events seen by kind ("crashed", "reload_completed", ...).
  std::map<std::string, std::uint64_t> counts() const;

private:
  std::size_t capacity_;
  mutable std::mutex mtx_;
  std::deque<std::pair<std::uint64_t, runtime_event>> recent_;
  std::uint64_t last_ = 0;
  std::map<std::string, std::uint64_t> counts_;
};

/// Spawns an actor that subscribes to `manager`'s events and adds each to `log` until it is
/// told to exit (the caller owns it).
caf::actor spawn_event_recorder(caf::actor_system& sys, manager_actor manager,
                                std::shared_ptr<event_log> log);

} // namespace troupe
