#pragma once
// Internal to the manager: what it keeps per registered plugin. Not part of the public API.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "actors/host/call_probe.hpp"
#include "actors/lifecycle.hpp"
#include "actors/plugin_host.hpp"
#include "messages/manager_protocol.hpp"

namespace troupe::detail {

/// Where a registered plugin is, as far as supervision goes. Calls never pass the manager: its
/// host holds or answers them as its own mode says; this is the manager's side of the story.
enum class entry_status : std::uint8_t {
  up,         ///< Its plugin object serves.
  restarting, ///< It crashed or was stopped with a sibling; its host holds calls or fails fast.
  failed,     ///< It will not come back (temporary, or its supervisor gave up).
};

/// One registered plugin.
struct entry {
  plugin_actor handle;      ///< Its address (a successor's after a hang).
  host_actor host;          ///< The same actor, for supervision messages; null if unsupervised.
  std::shared_ptr<call_probe> probe; ///< Its host's watchdog probe; null: no watchdog.
  plugin_metadata metadata; ///< As registered: id from the config, config dependencies merged.
  plugin_config config;
  bool supervised = false;  ///< In the supervision tree; its host can build the plugin again.
  std::uint64_t registered_seq = 0; ///< Registration order (orders hooks of equal priority).
  entry_status status = entry_status::up;
  std::string down_reason;  ///< Why it is restarting or failed.
  lifecycle_position reached; ///< The last position a lifecycle step through the manager reached:
                              ///< a restarted plugin is brought back to it.
  std::uint64_t restart_batch = 0; ///< The pending restart that brings it back.
  std::uint64_t revive = 0;        ///< Tells a revive's answer from an earlier, superseded one.
  caf::actor_clock::time_point down_since;
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
  std::size_t reload_failures = 0; ///< In a row.
};

using entry_ptr = std::shared_ptr<entry>;

} // namespace troupe::detail
