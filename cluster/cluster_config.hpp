#pragma once
// The [cluster] table of a node's config (docs/cluster.md, docs/configuration.md).

#include <cstdint>
#include <string>
#include <vector>

namespace troupe {

/// Where a node listens, whom it joins, how fast it notices a peer is gone, and its TLS files.
struct cluster_config {
  /// Listen address; also the address other processes use (`--node HOST:PORT`). Default host:
  /// 127.0.0.1 (without TLS a node listens on loopback unless told otherwise).
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;          ///< 0 with listen unset: not published; "host:0": any free port.
  bool listen = false;             ///< A listen address was given (cluster.listen or node.port).
  std::vector<std::string> seeds;  ///< "host:port" of nodes to join at start (and retried).
  /// BASP heartbeats every heartbeat_ms; a peer silent for node_timeout_ms is gone.
  std::uint32_t heartbeat_ms = 250;
  std::uint32_t node_timeout_ms = 1000;
  /// Retry joining seeds and gone members this often.
  std::uint32_t rejoin_ms = 500;
  /// PEM files: the cluster's CA, this node's certificate and key. All three or none.
  std::string ca;
  std::string cert;
  std::string key;

  /// True if TLS files are set (then every connection is mutual TLS).
  bool tls() const { return !cert.empty(); }
};

} // namespace troupe
