#pragma once
// The node configuration file (TOML): node settings and the plugins a node hosts.
// See docs/configuration.md for every key and its default.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/supervision/supervision_spec.hpp"
#include "cluster/cluster_config.hpp"
#include "gateway/gateway_config.hpp"
#include "actors/watch/reload_watcher.hpp"
#include "messages/plugin_types.hpp"
#include "plugins/api/kind_registry.hpp"
#include "plugins/api/plugin_spec.hpp"

namespace troupe {

/// The [node] table and every [[plugins]] entry.
struct node_config {
  std::string path;                   ///< The file it was read from ("" if from a string).
  std::string name = "troupe";        ///< Default: "troupe".
  std::string log_level = "info";     ///< trace, debug, info, warn, error, critical, off.
  /// The [cluster] table: where the node listens (node.host/node.port are aliases of
  /// cluster.listen), its seeds, heartbeats and TLS files. Not listening (default): no cluster.
  cluster_config cluster;
  /// The [gateway] table: the msgpack-RPC door (docs/gateway.md). No listen (default): closed.
  gateway_config gateway;
  /// The [http] table: MCP at /mcp, /metrics and the live view at /. No listen (default): closed.
  http_config http;
  /// Where the node keeps what it is sent (deployed scripts). Default:
  /// CONFIG_DIR/troupe-data/NAME.
  std::string data_dir;
  std::string scheduler_policy = "stealing"; ///< CAF scheduler: "stealing" or "sharing".
  std::uint32_t threads = 0;          ///< Scheduler threads; 0 (default): one per core.
  /// How an idle scheduler thread waits (work stealing only): "wait" (default) spins briefly,
  /// then sleeps until a message wakes it; "poll" is CAF's own default, which first polls with
  /// 50 us sleeps for about 25 ms, delaying messages from outside the scheduler (blocking calls,
  /// the network) by up to 50 us each.
  std::string worker_idle = "wait";
  std::vector<std::string> plugin_dirs; ///< Extra directories searched for libraries.
  std::vector<plugin_spec> plugins;   ///< Every [[plugins]] entry, checked by its kind.
  supervision_config supervision;     ///< The [[groups]] entries (supervisors).
  watch_options watch;                ///< The [watch] table; no directories: no watching.
};

/// Reads and validates a config file. A [[plugins]] entry's keys are those of its kind in
/// `kinds` (plus id, kind, dependencies, settings, group, restart), checked by that kind.
/// Errors are config_error values naming the file, the line and the key at fault (or not_found
/// if the file does not exist).
caf::expected<node_config> load_node_config(const std::string& path, const kind_registry& kinds);

/// Parses config text; `origin` names it in errors and its directory anchors relative paths.
caf::expected<node_config> parse_node_config(const std::string& text, const std::string& origin,
                                             const kind_registry& kinds);

} // namespace troupe
