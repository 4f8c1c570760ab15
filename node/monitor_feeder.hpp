#pragma once
// The monitor feeder: the actor that connects a monitor plugin (a plugin of type monitor, e.g.
// the built-in "monitor", docs/builtin-plugins.md) to its runtime. Subscribed to the manager's
// events, every interval it asks the manager for every plugin's stats and hands stats and the
// events since the last round to the plugin as one execute {"op": "observe", ...}; each alert the
// plugin answers is published through the manager as an `alert` runtime_event. The plugin never
// sees an actor; the feeder never blocks (every request is asynchronous with a deadline).

#include <chrono>
#include <cstddef>
#include <string>

#include <caf/fwd.hpp>

#include "messages/manager_protocol.hpp"

namespace troupe {

/// What a feeder feeds and how often.
struct monitor_feeder_options {
  std::string plugin;                        ///< REQUIRED: the monitor plugin's id.
  std::chrono::milliseconds interval{1000};  ///< Between rounds. Default: 1 s.
  std::chrono::milliseconds timeout{5000};   ///< Each request of a round. Default: 5 s.
  std::size_t max_events = 1000; ///< Events kept between rounds; older ones are dropped first.
};

/// Spawns a feeder for opts.plugin. A round starts only when the last one ended (a slow
/// monitor delays rounds, never piles them up). A failed request (the monitor is restarting,
/// a timeout) skips that round: it is logged at debug level and its events are dropped. `alert`
/// events are not fed back. The feeder runs until it is sent an exit or `manager` terminates.
caf::actor spawn_monitor_feeder(caf::actor_system& sys, manager_actor manager,
                                monitor_feeder_options opts);

} // namespace troupe
