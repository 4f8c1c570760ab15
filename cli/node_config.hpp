#pragma once
// The node configuration file (TOML): node settings and the plugins a node hosts.
// See docs/configuration.md for every key and its default.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "actors/supervision/supervision_spec.hpp"
#include "actors/watch/reload_watcher.hpp"
#include "messages/plugin_types.hpp"

namespace troupe::cli {

/// How one plugin of the config is made.
struct plugin_spec {
  plugin_config config;    ///< id, settings ({config_dir} expanded), extra dependencies.
  std::string kind;        ///< "native" (compiled-in class), "library" (shared library) or
                           ///< "lua" (a script; its [plugins.limits] are settings "limit.<name>").
  std::string class_name;  ///< kind = native: the registered class ("echo", "kv_store").
  std::string library;     ///< kind = library: a path (relative to the config file) or a name
                           ///< searched in the plugin directories ("troupe_word_count").
  std::string script;      ///< kind = lua: the script's path (relative paths resolved against
                           ///< the config file's directory).
};

/// The [node] table and every [[plugins]] entry.
struct node_config {
  std::string path;                   ///< The file it was read from ("" if from a string).
  std::string name = "troupe";        ///< Default: "troupe".
  std::string log_level = "info";     ///< trace, debug, info, warn, error, critical, off.
  std::string host = "127.0.0.1";     ///< Address `troupe run` publishes the manager on.
  std::uint16_t port = 0;             ///< 0 (default): do not publish.
  std::string scheduler_policy = "stealing"; ///< CAF scheduler: "stealing" or "sharing".
  std::uint32_t threads = 0;          ///< Scheduler threads; 0 (default): one per core.
  std::vector<std::string> plugin_dirs; ///< Extra directories searched for libraries.
  std::vector<plugin_spec> plugins;
  supervision_config supervision;     ///< The [[groups]] entries (supervisors).
  watch_options watch;                ///< The [watch] table; no directories: no watching.
};

/// Reads and validates a config file. Errors are config_error values naming the file, the line
/// and the key at fault (or not_found if the file does not exist).
caf::expected<node_config> load_node_config(const std::string& path);

/// Parses config text; `origin` names it in errors and its directory anchors relative paths.
caf::expected<node_config> parse_node_config(const std::string& text, const std::string& origin);

/// Resolves a plugin_spec's library to an existing file: an absolute path or one relative to the
/// config's directory as is; a bare name as lib<name>.so or <name> in cfg.plugin_dirs,
/// $TROUPE_PLUGIN_PATH (colon-separated), then <exe_dir>/../plugins and
/// <exe_dir>/../lib/troupe/plugins. not_found lists where it looked.
caf::expected<std::string> resolve_library(const node_config& cfg, const plugin_spec& spec,
                                           const std::string& exe_dir);

} // namespace troupe::cli
