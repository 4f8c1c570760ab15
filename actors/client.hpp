#pragma once
// A blocking C++ API over a manager, for plain code (main functions, tests, the CLI). The manager
// may be local or on another node. Actors should not use this: they send the manager_actor
// messages themselves (request(...).then(...)) and never block.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/message_id.hpp>
#include <caf/scoped_actor.hpp>

#include <caf/fwd.hpp>
#include <caf/expected.hpp>

#include "actors/lifecycle.hpp"
#include "messages/manager_protocol.hpp"

namespace troupe {

class plugin_directory;

/// execute and call_script_function go straight to the plugin's own address when the plugin runs
/// in this process (resolved in its directory; replicas take turns), through the cluster's router
/// when only other nodes host it, and to the manager when the manager is in another process (it
/// hands the call on with delegate, so the answer comes straight back: no extra network hop, and
/// its node spreads the calls over replicas and fails over). Everything else asks the manager. Each call sends one request and waits for the answer at most `timeout`; past it
/// the call returns a timeout error naming the plugin. Thread-safe: every call borrows a blocking
/// actor of its own from a pool (spawning one per call used to be most of a call's cost), and a
/// call that timed out retires its actor, so that a late answer never reaches another call.
/// REQUIRES: the actor system outlives the client.
class client {
public:
  /// Default per-call deadline: 30 s.
  static constexpr std::chrono::milliseconds default_timeout{30000};

  client(caf::actor_system& sys, manager_actor manager,
         std::chrono::milliseconds timeout = default_timeout);

  virtual ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// The manager this client talks to.
  const manager_actor& manager() const { return manager_; }

protected:
  /// For subclasses that spawn their manager after constructing the client.
  void set_manager(manager_actor manager) { manager_ = std::move(manager); }
  /// For a client in the manager's process: plugin addresses are read here, not looked up.
  void set_directory(std::shared_ptr<plugin_directory> directory) {
    directory_ = std::move(directory);
  }

public:
  /// Where plugin `id` answers: this process's directory, the addresses looked up before, or
  /// the manager (lookup; kept). The manager's error (not_found naming the plugins there are).
  caf::expected<plugin_actor> resolve(const std::string& id);

  /// Runs `input` through plugin `id`; the plugin's output or an error naming it.
  caf::expected<payload> execute(const std::string& id, const payload& input);

  /// One lifecycle step for one plugin; its new state.
  caf::expected<plugin_state> step(lifecycle_op op, const std::string& id);

  /// One lifecycle step for every plugin in dependency order; the ids stepped.
  caf::expected<std::vector<std::string>> step_all(lifecycle_op op);

  /// load, init and start every plugin, in dependency order; the ids started.
  caf::expected<std::vector<std::string>> start_all();

  /// stop and unload every plugin, in reverse dependency order, doing as much as it can.
  caf::expected<std::vector<std::string>> shutdown_all();

  /// Registers an already spawned plugin actor (local or remote).
  caf::expected<plugin_metadata> register_plugin(plugin_config cfg, plugin_actor handle);

  /// Registers many spawned plugin actors with their requests pipelined: one round of waiting
  /// instead of one per plugin (thousands of plugins register in a fraction of the time). One
  /// result per entry, in order; each as register_plugin would answer it.
  std::vector<caf::expected<plugin_metadata>>
  register_plugins(std::vector<std::pair<plugin_config, plugin_actor>> plugins);

  /// Forgets plugin `id`, which must be unloaded, and ends its actor (manager's remove).
  caf::expected<plugin_state> remove(const std::string& id);

  /// Reloads plugin `id`'s code (see manager_actor's reload); the new metadata, or why the old
  /// version still serves.
  caf::expected<plugin_metadata> reload(const std::string& id);

  /// Has the manager send `who` every later event as (event_atom, runtime_event).
  caf::error subscribe(const caf::actor& who);

  caf::expected<std::vector<plugin_info>> list();
  caf::expected<std::vector<plugin_info>> list(const plugin_type& type);
  caf::expected<std::vector<plugin_health>> health();
  caf::expected<plugin_health> health(const std::string& id);
  caf::expected<std::vector<plugin_stats>> stats();
  caf::expected<plugin_stats> stats(const std::string& id);
  caf::expected<plugin_metadata> metadata(const std::string& id);

  /// Every tool of every plugin, with its JSON-schema parameters.
  caf::expected<std::vector<tool_info>> tools();

  /// Runs tool `name` ("tool" or "plugin/tool") with `args` checked against its schema, with the
  /// node's hook pipeline around it; `agent` (if not empty) names the caller in the hooks' ctx.
  caf::expected<payload> call_tool(const std::string& name, const payload& args,
                                   const std::string& agent = {});

  /// The plugins with agent hooks, in the order their hooks run (docs/hooks.md).
  caf::expected<std::vector<plugin_info>> hooks();

  /// Calls function `fn` of plugin `id` (a Lua script's global function) with `args`: a msgpack
  /// array is spread as the arguments, any other value is the only argument.
  caf::expected<payload> call_script_function(const std::string& id, const std::string& fn,
                                              const payload& args);

protected:
  caf::actor_system& system() const { return sys_; }

private:
  /// Asks the manager.
  template <class T, class... Ts>
  caf::expected<T> ask(const std::string& about, Ts&&... xs);
  /// Asks `dest`; sets *gone (if given) when `dest` no longer exists.
  template <class T, class Handle, class... Ts>
  caf::expected<T> ask_at(const Handle& dest, const std::string& about, bool* gone, Ts&&... xs);
  /// Sends a call straight to plugin `id`'s address (looked up again once if it ended).
  template <class Atom, class... Ts>
  caf::expected<payload> call_plugin(const std::string& id, Atom atom, Ts&&... xs);
  /// Forgets the address looked up for `id`.
  void forget(const std::string& id);

  /// Waits (at most the client's timeout) for `self`'s answer `id`, about plugin `about`;
  /// sets `timed_out` if the deadline passed (the actor must then be retired), and *gone (if
  /// given) if the asked actor no longer exists.
  template <class T>
  caf::expected<T> await_answer(caf::scoped_actor& self, caf::message_id id,
                                const std::string& about, bool& timed_out, bool* gone = nullptr);

  class blocking_pool;

  caf::actor_system& sys_;
  std::unique_ptr<blocking_pool> pool_;
  manager_actor manager_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<plugin_directory> directory_;
  std::mutex cache_mtx_;
  std::map<std::string, plugin_actor> addresses_; ///< Looked up (no directory: a remote manager).
};

} // namespace troupe
