#pragma once
// A node's metrics in the Prometheus text format (GET /metrics of the [http] door), rendered
// with prometheus-cpp's serializer from a snapshot of the node's stats (docs/gateway.md lists
// every name).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "messages/cluster_types.hpp"
#include "messages/plugin_types.hpp"

namespace troupe {

/// What one scrape reads from the node.
struct metrics_snapshot {
  std::string node;
  std::vector<plugin_stats> stats;                ///< This node's plugins.
  std::map<std::string, std::uint64_t> events;    ///< Events seen since start, by kind.
  std::vector<member_status> members;             ///< The cluster's members (empty: none).
};

/// The Prometheus text exposition of `snapshot`:
///   troupe_plugin_calls_total, troupe_plugin_failures_total, troupe_plugin_call_duration_seconds
///   (histogram), troupe_plugin_in_flight, troupe_plugin_held, troupe_plugin_restarts_total,
///   troupe_plugin_reloads_total, troupe_plugin_lua_memory_bytes (Lua plugins), all labelled
///   {node, plugin}; troupe_node_plugins{node, state}, troupe_node_events_total{node, kind},
///   troupe_cluster_members{node, state}.
std::string render_metrics(const metrics_snapshot& snapshot);

} // namespace troupe
