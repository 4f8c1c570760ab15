#pragma once
// Internal to the manager: what it keeps per registered plugin. Not part of the public API.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include <caf/typed_response_promise.hpp>

#include "actors/lifecycle.hpp"
#include "messages/manager_protocol.hpp"

namespace troupe::detail {

/// A call the manager routes to a plugin: execute, a tool or a function.
struct routed_call {
  enum class kind : std::uint8_t { execute, tool, function };
  kind what = kind::execute;
  std::string name; ///< The tool or function.
  payload input;
  caf::typed_response_promise<payload> promise;
};

/// A call held while its plugin restarts, answered with timeout at `deadline`.
struct held_call {
  routed_call call;
  caf::actor_clock::time_point deadline;
};

/// Where a registered plugin is, as far as supervision goes.
enum class entry_status : std::uint8_t {
  up,         ///< Its actor is alive and gets requests.
  restarting, ///< It crashed or was stopped with a sibling; requests are held or fail fast.
  swapping,   ///< A reload waits for its calls in flight to finish; requests are held.
  failed,     ///< It will not come back (temporary, or its supervisor gave up).
};

/// One registered plugin.
struct entry {
  plugin_actor handle;      ///< Null while restarting or failed.
  plugin_metadata metadata; ///< As registered: id from the config, config dependencies merged.
  plugin_config config;
  bool supervised = false;  ///< In the supervision tree; its spawner can make it again.
  entry_status status = entry_status::up;
  std::string down_reason;  ///< Why it is restarting or failed.
  lifecycle_position reached; ///< The last position a lifecycle step through the manager reached:
                              ///< a restarted plugin is brought back to it.
  // Calls sent to the actor and not answered yet, by ticket.
  std::unordered_map<std::uint64_t, caf::typed_response_promise<payload>> in_flight;
  std::uint64_t next_ticket = 0;
  // Watchdog: answers so far, the count the watchdog last saw, and since when the plugin has made
  // no progress: stamped when a call is sent to an idle plugin (exact for a single hung call)
  // and by the tick that sees new answers (no clock read per answer on the call path).
  std::uint64_t answers = 0;
  std::uint64_t answers_seen = 0;
  caf::actor_clock::time_point last_progress;
  std::deque<held_call> held;
  std::uint64_t restart_batch = 0; ///< The pending restart that brings it back.
  caf::actor_clock::time_point down_since;
  caf::actor_clock::time_point bring_up_since; ///< When its new actor was spawned.
  std::size_t attempt = 0;
  std::chrono::nanoseconds backoff{0};
  // Health checks.
  bool health_pending = false;
  bool healthy = true;
  std::size_t health_failures = 0;
  std::uint64_t restarts = 0;
  // Reloads.
  bool reloading = false;
  std::uint64_t reloads = 0;
  std::size_t reload_failures = 0;        ///< In a row.
  std::function<void()> on_drained;       ///< Called once in_flight empties while swapping.
  plugin_actor previous;                  ///< The version before the last reload, kept aside
  plugin_metadata previous_metadata;      ///< until the new one's probation ends.
  std::size_t probation_left = 0;         ///< Calls of the new version still on probation.
  std::size_t probation_failures = 0;
};

using entry_ptr = std::shared_ptr<entry>;

} // namespace troupe::detail
