#pragma once
// Plain data that describes a plugin: its kind, metadata, lifecycle state, config, health and stats.
// Every struct here travels in CAF messages (locally or to another node) and has a free `inspect`.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace troupe {

// -- plugin type ---------------------------------------------------------------------------------

/// What a plugin is for. `custom` carries its own name in plugin_type::custom_name.
enum class plugin_kind : std::uint8_t {
  llm, tool, storage, memory, vector_db, communication, monitor, skill, custom
};

/// A plugin's type: one of the known kinds, or custom with a name (e.g. "custom:translator").
struct plugin_type {
  plugin_kind kind = plugin_kind::custom;
  std::string custom_name; ///< Only meaningful when kind == custom.
};

bool operator==(const plugin_type& a, const plugin_type& b);
inline bool operator!=(const plugin_type& a, const plugin_type& b) { return !(a == b); }

/// Renders "llm", "tool", ..., or "custom:<name>".
std::string to_string(const plugin_type& x);

/// Parses what to_string renders (case-insensitive; "vectordb" and "vector_db" both work; any
/// other word becomes custom:<word>). Returns nullopt only for an empty string.
std::optional<plugin_type> parse_plugin_type(const std::string& text);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plugin_type& x) {
  return f(caf::meta::type_name("troupe::plugin_type"), x.kind, x.custom_name);
}

// -- lifecycle state -----------------------------------------------------------------------------

/// The lifecycle states of a plugin. `error` carries a reason in plugin_state::reason.
enum class state_code : std::uint8_t { unloaded, loading, loaded, running, paused, error };

/// A plugin's lifecycle state.
struct plugin_state {
  state_code code = state_code::unloaded;
  std::string reason; ///< Why the plugin is in `error`; empty otherwise.
};

bool operator==(const plugin_state& a, const plugin_state& b);
inline bool operator!=(const plugin_state& a, const plugin_state& b) { return !(a == b); }

/// Renders "Unloaded", "Loading", "Loaded", "Running", "Paused" or "Error(<reason>)".
std::string to_string(const plugin_state& x);
/// Renders the bare name of a state code ("Running").
std::string to_string(state_code x);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plugin_state& x) {
  return f(caf::meta::type_name("troupe::plugin_state"), x.code, x.reason);
}

// -- metadata ------------------------------------------------------------------------------------

/// What a plugin says about itself. The host overwrites `id` with the instance id from the config.
struct plugin_metadata {
  std::string id;
  std::string name;
  std::string version;
  std::string description;
  plugin_type type;
  std::vector<std::string> capabilities;
  std::int32_t priority = 0;               ///< Higher first among plugins with no order between them.
  std::vector<std::string> dependencies;   ///< Ids of plugins that must be loaded before this one.
  std::vector<std::string> hooks;          ///< The agent hooks it takes part in (docs/hooks.md).
  std::int32_t hook_priority = 100;        ///< Its place among hooks: lower runs first.
};

/// Appends every id of `extra` that `md.dependencies` lacks (the config's dependencies are added
/// to the plugin's own this way, by the host and the manager alike).
void merge_dependencies(plugin_metadata& md, const std::vector<std::string>& extra);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plugin_metadata& x) {
  return f(caf::meta::type_name("troupe::plugin_metadata"), x.id, x.name, x.version,
           x.description, x.type, x.capabilities, x.priority, x.dependencies, x.hooks,
           x.hook_priority);
}

// -- config --------------------------------------------------------------------------------------

/// The configuration a plugin instance is loaded with.
struct plugin_config {
  std::string id;                              ///< Instance id; unique within a manager.
  std::map<std::string, std::string> settings; ///< Plugin-specific settings, as text.
  std::vector<std::string> dependencies;       ///< Added to the plugin's own dependencies.
  std::string group = {};   ///< The supervision group it belongs to; "" means "root".
  std::string restart = {}; ///< permanent (default, also ""), transient or temporary.
  /// A call may run twice without harm: in a cluster, a call cut off by its node's failure is
  /// retried on another replica (docs/cluster.md). Default: false.
  bool idempotent = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plugin_config& x) {
  return f(caf::meta::type_name("troupe::plugin_config"), x.id, x.settings, x.dependencies,
           x.group, x.restart, x.idempotent);
}

// -- health and stats ----------------------------------------------------------------------------

/// The answer to a health check.
struct plugin_health {
  std::string id;
  bool healthy = false;
  plugin_state state;
  std::string detail; ///< What the plugin's own check said, or why it was not asked.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plugin_health& x) {
  return f(caf::meta::type_name("troupe::plugin_health"), x.id, x.healthy, x.state, x.detail);
}

/// Execute statistics of one plugin instance since it was (re)spawned. Latencies are in microseconds,
/// measured inside the plugin actor around the plugin's execute; percentiles cover the most recent
/// calls (a window of 1024). All figures are 0 before the first call.
struct plugin_stats {
  std::string id;
  std::uint64_t calls = 0;    ///< Execute requests answered, with a result or an error.
  std::uint64_t failures = 0; ///< Of those, the ones answered with an error.
  double mean_us = 0;
  double p50_us = 0;
  double p99_us = 0;
  plugin_state state;
  std::map<std::string, std::int64_t> counters; ///< The plugin's own counters.
  std::uint64_t restarts = 0; ///< Times its supervisor restarted it (filled in by the manager).
  std::uint64_t reloads = 0;  ///< Times its code was reloaded (filled in by the manager).
  std::uint64_t in_flight = 0; ///< Calls it started and has not answered (waiting on others).
  std::uint64_t held = 0;      ///< Calls waiting for it to come back (restart, reload).
  /// Measured calls per latency bucket (actors/latency_stats.hpp's latency_bounds_us, then
  /// the calls past the last bound), and the sum of their latencies.
  std::vector<std::uint64_t> latency_buckets;
  double latency_sum_us = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plugin_stats& x) {
  return f(caf::meta::type_name("troupe::plugin_stats"), x.id, x.calls, x.failures, x.mean_us,
           x.p50_us, x.p99_us, x.state, x.counters, x.restarts, x.reloads, x.in_flight, x.held,
           x.latency_buckets, x.latency_sum_us);
}

/// One row of the manager's list: a registered plugin, its metadata and its state.
struct plugin_info {
  plugin_metadata metadata;
  plugin_state state;
  std::string node = {}; ///< The node that hosts it, in a cluster's list; "" from a lone manager.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plugin_info& x) {
  return f(caf::meta::type_name("troupe::plugin_info"), x.metadata, x.state, x.node);
}

/// A tool a plugin offers to agents: what an LLM needs to call it.
struct tool_info {
  std::string plugin;      ///< The plugin instance that serves it.
  std::string name;        ///< Unique within the plugin.
  std::string description; ///< What it does, for the agent.
  std::string parameters;  ///< A JSON Schema (text) for its arguments object.
  std::string node = {};   ///< The node that hosts it, in a cluster's list; "" otherwise.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tool_info& x) {
  return f(caf::meta::type_name("troupe::tool_info"), x.plugin, x.name, x.description,
           x.parameters, x.node);
}

} // namespace troupe
