#pragma once
// The native plugin interface, Troupe's equivalent of MoFA's AgentPlugin. A plugin is plain C++:
// it never sees an actor. Its host actor owns it, calls it from one thread at a time, enforces the
// lifecycle and turns every error (returned or thrown) into an error reply naming the plugin.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "messages/payload.hpp"
#include "messages/plugin_types.hpp"
#include "plugins/api/plugin_context.hpp"

namespace troupe {

/// Implement metadata() and execute(); override the hooks you need. Every hook returns an empty
/// caf::error on success; use troupe::make_error(errc::plugin_failed, ctx.plugin_id(), "...")
/// for failures. Throwing is allowed (the host catches it) but returning errors is preferred.
/// Thread safety: the host never calls two members at once.
class plugin {
public:
  virtual ~plugin() = default;

  /// What the plugin is. Called at any state, so it must not depend on load.
  virtual plugin_metadata metadata() const = 0;

  /// Acquire resources (open files, connect). `ctx` stays valid until unload returns.
  virtual caf::error load(plugin_context& ctx) { (void)ctx; return {}; }

  /// One-time initialisation after load, before the first start.
  virtual caf::error init(plugin_context& ctx) { (void)ctx; return {}; }

  /// Begin serving; after it, execute may be called.
  virtual caf::error start(plugin_context& ctx) { (void)ctx; return {}; }

  /// Stop serving for a while; state is kept.
  virtual caf::error pause(plugin_context& ctx) { (void)ctx; return {}; }

  /// Serve again after pause.
  virtual caf::error resume(plugin_context& ctx) { (void)ctx; return {}; }

  /// Stop serving; start may follow.
  virtual caf::error stop(plugin_context& ctx) { (void)ctx; return {}; }

  /// Release everything load acquired.
  virtual caf::error unload(plugin_context& ctx) { (void)ctx; return {}; }

  /// Handle one request: a msgpack payload in, a msgpack payload out (see messages/msgpack_codec.hpp).
  /// Only called while Running.
  virtual caf::expected<payload> execute(plugin_context& ctx, const payload& input) = 0;

  /// The plugin's own view of its health; an empty string means healthy with nothing to add.
  /// Return an error to report unhealthy. Called while Loaded, Running or Paused.
  virtual caf::expected<std::string> health_check(plugin_context& ctx) { (void)ctx; return std::string{}; }

  /// Plugin-specific counters reported with the host's stats (e.g. {"keys": 42}). Called at any
  /// state after load.
  virtual std::map<std::string, std::int64_t> counters() const { return {}; }
};

/// Makes a fresh, unloaded plugin instance, or says why it cannot. Used to spawn and (later) to
/// restart or reload a plugin. Must be callable more than once.
using plugin_factory = std::function<caf::expected<std::unique_ptr<plugin>>()>;

} // namespace troupe
