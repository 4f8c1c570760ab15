#pragma once
// The events a manager publishes to its subscribers: what supervision did (crashes, restarts,
// escalations, health changes) and, later, what reloading did. Sent as (event_atom, runtime_event)
// to every subscribed actor, locally or on another node.

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

namespace troupe {

/// What happened.
enum class event_kind : std::uint8_t {
  crashed,        ///< A plugin crashed (detail: why); a restart_plan follows.
  restarted,      ///< A plugin serves again after a crash (attempt, delay_ms: the backoff waited).
  restart_failed, ///< Bringing a plugin back failed (detail); counts as another crash.
  stopped,        ///< A plugin was stopped because a sibling or its group failed (detail: which).
  removed,        ///< A plugin will not be restarted (temporary, transient exit, or given up).
  escalated,      ///< A group exceeded its restart intensity and failed to its parent (group).
  gave_up,        ///< The root group exceeded its intensity: every plugin stays stopped.
  health_changed, ///< A plugin turned healthy or unhealthy (detail: its health check's words).
  reload_started,   ///< Building a plugin's new version beside the old one began.
  reload_completed, ///< The new version serves (detail: old and new version, duration).
  reload_failed,    ///< Building or swapping in the new version failed; the old one serves on
                    ///< unchanged (detail: the error; attempt: failures in a row).
  rolled_back,      ///< The previous version serves again.
  member_up,        ///< A node joined the cluster, or came back (detail: its name and address).
  member_down,      ///< A node of the cluster went away (detail: its name, address and why).
  alert,            ///< A monitor plugin's rule fired (plugin: the plugin it is about, "*" for
                    ///< all plugins; group: the monitor's id; detail: rule, kind, value,
                    ///< threshold and the monitor's message). See docs/builtin-plugins.md.
};

/// One event. Times are milliseconds since the Unix epoch (system clock).
struct runtime_event {
  event_kind kind = event_kind::crashed;
  std::string plugin;       ///< The plugin concerned; "" for a group event.
  std::string group;        ///< Its supervision group.
  std::string detail;       ///< Human-readable: the reason, the health text, the strategy applied.
  std::uint32_t attempt = 0; ///< restarted: 1 for the first restart after a quiet period, then 2...
  std::int64_t delay_ms = 0; ///< restarted: the backoff waited before the restart.
  std::int64_t time_ms = 0;  ///< When it happened.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, runtime_event& x) {
  return f(caf::meta::type_name("troupe::runtime_event"), x.kind, x.plugin, x.group, x.detail,
           x.attempt, x.delay_ms, x.time_ms);
}

/// "crashed", "restarted", ... (the names `troupe events` prints).
std::string to_string(event_kind x);

/// One line: "2026-11-22T10:15:03.042Z restarted plugin=kv group=root attempt=2 delay_ms=10 ...".
std::string describe(const runtime_event& e);

/// Milliseconds since the Unix epoch now.
std::int64_t now_ms();

} // namespace troupe
