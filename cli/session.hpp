#pragma once
// What a CLI command talks to: either a runtime started in this process from a config file, or
// the manager of a running node reached over the network (`troupe run` publishes it).

#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "actors/client.hpp"
#include "cli/node_config.hpp"

namespace caf {
class actor_system;
class actor_system_config;
} // namespace caf

namespace troupe {
class runtime;
} // namespace troupe

namespace troupe::cli {

/// Sets spdlog's default logger (stderr, so stdout stays clean for JSON) and its level.
/// Returns false for an unknown level name.
bool configure_logging(const std::string& level);

/// The plugin kinds the CLI reads configs with and makes plugins of: standard_kinds().
std::shared_ptr<const kind_registry> plugin_kinds();

/// Owns an actor system and a client of one manager. Not copyable or movable.
class session {
public:
  /// Starts the config's plugins in this process (load, init, start in dependency order), with
  /// the example classes ("echo", "kv_store") as the compiled-in natives.
  static caf::expected<std::unique_ptr<session>> local(const node_config& cfg);

  /// Connects to the manager published at host:port.
  static caf::expected<std::unique_ptr<session>> remote(const std::string& host,
                                                         std::uint16_t port);

  /// Stops and unloads local plugins (reverse dependency order); a no-op for remote sessions.
  ~session();

  /// The client for every call.
  troupe::client& api() { return *api_; }

  /// The actor system (for publishing the manager).
  caf::actor_system& system() { return *system_; }

  /// The local runtime; null for a remote session.
  troupe::runtime* local_runtime() { return runtime_; }

private:
  session();
  std::unique_ptr<caf::actor_system_config> config_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<troupe::client> api_;
  troupe::runtime* runtime_ = nullptr; // the same object as api_ when local
};

/// Parses "host:port" (or ":port", meaning 127.0.0.1).
caf::expected<std::pair<std::string, std::uint16_t>> parse_address(const std::string& text);

} // namespace troupe::cli
