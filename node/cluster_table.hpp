#pragma once
// Reads the [cluster] table of a node config (docs/cluster.md).

#include <string>

#include <caf/error.hpp>
#include <toml++/toml.h>

#include "cluster/cluster_config.hpp"

namespace troupe {

/// Reads `t` into `out`: listen ("host:port"), seeds, heartbeat_ms, node_timeout_ms, rejoin_ms,
/// and the TLS files ca, cert, key (all three or none; relative paths anchored at config_dir;
/// each must be readable). Errors are config_errors naming the file, line and key.
caf::error read_cluster_table(const std::string& origin, const std::string& config_dir,
                              const toml::table& t, cluster_config& out);

} // namespace troupe
