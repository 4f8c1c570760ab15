#pragma once
// How a Troupe process talks BASP (CAF's network protocol): heartbeats, the application
// identifier that keeps other CAF programs out, and TLS through libcaf_openssl. Nodes and
// CLI/embedding clients set their actor_system_config up here before the system starts.

#include <cstdint>
#include <string>

#include <caf/actor_cast.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/io/middleman_actor.hpp>

#include "cluster/cluster_config.hpp"
#include "messages/manager_protocol.hpp"

namespace troupe {

/// The BASP application identifier of Troupe processes: others are refused at the handshake.
inline constexpr const char* troupe_app_identifier = "troupe-cluster-1";

/// Loads the middleman (and the openssl module when `cfg.tls()`), sets heartbeats every
/// cfg.heartbeat_ms with a connection timeout of cfg.node_timeout_ms, the application
/// identifier, and the TLS files (openssl.cafile, certificate, key).
void configure_transport(caf::actor_system_config& sys_cfg, const cluster_config& cfg);

/// Checks the TLS files of `cfg` the way the TLS layer will load them (the CA, the certificate
/// chain, the key, and that the key belongs to the certificate); config_error naming the file
/// otherwise. CAF's TLS layer throws (and the process ends) on a bad file at the first connection,
/// so every Troupe process checks them before it listens or connects. No TLS files: no error.
caf::error check_tls_files(const cluster_config& cfg);

/// Publishes `manager` on host:port (port 0: any free one), over TLS when `tls`; the bound port.
/// Only this door is opened: with TLS nothing listens in plain text.
caf::expected<std::uint16_t> publish_manager(caf::actor_system& sys, const manager_actor& manager,
                                             const std::string& host, std::uint16_t port, bool tls);

/// Stops listening on `port`.
void unpublish_manager(caf::actor_system& sys, const manager_actor& manager, std::uint16_t port,
                       bool tls);

/// The middleman actor that opens connections (TLS or plain): request it (connect_atom, host,
/// port) with a deadline to connect without blocking.
caf::io::middleman_actor connector(caf::actor_system& sys, bool tls);

/// Connects to the manager published at host:port, blocking at most `timeout`. Errors name the
/// address (unavailable), or say the peer is not a Troupe node.
caf::expected<manager_actor> connect_manager(caf::actor_system& sys, const std::string& host,
                                             std::uint16_t port, bool tls,
                                             std::chrono::milliseconds timeout);

/// True if `actor` (a proxy of an actor on another node, or a local actor) has ended: for a proxy,
/// its connection was lost and a message to it would be dropped unsent. Not kept by address: a
/// node that comes back over a new connection gets new proxies with equal addresses.
bool has_ended(caf::abstract_actor* actor);

/// has_ended for a handle.
template <class Handle>
bool has_ended(const Handle& handle) {
  return has_ended(caf::actor_cast<caf::abstract_actor*>(handle));
}

/// Parses "host:port" (or ":port", meaning 127.0.0.1; port 0 allowed when `allow_zero`).
caf::expected<std::pair<std::string, std::uint16_t>> parse_host_port(const std::string& text,
                                                                     bool allow_zero = false);

} // namespace troupe
