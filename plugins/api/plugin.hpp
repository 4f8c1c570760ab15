#pragma once
// The native plugin interface, Troupe's equivalent of MoFA's AgentPlugin. A plugin is plain C++:
// it never sees an actor. Its host actor owns it, calls it from one thread at a time, enforces the
// lifecycle and turns every error (returned or thrown) into an error reply naming the plugin.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "messages/errors.hpp"
#include "messages/payload.hpp"
#include "messages/plugin_types.hpp"
#include "messages/hooks.hpp"
#include "plugins/api/plugin_context.hpp"

namespace troupe {

/// What a caller asks of a plugin: its execute, one of its tools, one of its functions, or one
/// of its hooks.
struct invocation {
  enum class kind { execute, tool, function, hook };
  kind what = kind::execute;
  std::string name; ///< The tool, function or hook point; empty for execute.
  payload input;    ///< execute: the input; tool: the arguments object; function: an array of
                    ///< arguments (or a single value, passed as the only argument); hook: the
                    ///< hook's argument array (messages/hooks.hpp), answered [action, value,
                    ///< state].
};

/// A request a waiting call asks its host to make: execute plugin `target` with `input`.
struct outgoing_call {
  std::string target;
  payload input;
  std::chrono::milliseconds timeout{5000};
};

/// One step of an invocation: finished (result holds the answer or the error) or suspended
/// until the answer to `call` arrives; the host then passes it to continue_call(ticket, ...).
struct call_step {
  caf::expected<payload> result = payload{};
  std::optional<outgoing_call> call; ///< Set: suspended.
  std::uint64_t ticket = 0;          ///< Identifies a suspended invocation to its plugin.

  /// A finished step.
  static call_step done(caf::expected<payload> r) {
    call_step s;
    s.result = std::move(r);
    return s;
  }

  /// A suspended step waiting on `c`.
  static call_step waiting(std::uint64_t ticket, outgoing_call c) {
    call_step s;
    s.call = std::move(c);
    s.ticket = ticket;
    return s;
  }
};

/// A tool as a plugin declares it (the host adds the plugin id when it reports it).
struct tool_spec {
  std::string name;
  std::string description;
  std::string parameters; ///< JSON Schema text; "" means {"type":"object"}.
};

/// Every member is defined inline, so a plugin in a shared library needs no symbol of the host.
/// Implement metadata() and execute(); override the hooks you need. Every hook returns an empty
/// caf::error on success; use troupe::make_error(errc::plugin_failed, ctx.plugin_id(), "...")
/// for failures. An execute (or hook) that returns an error is not a crash: the caller gets the error
/// and the plugin serves on. Return errc::fatal, or throw, when the plugin cannot go on: its host
/// answers the call with the error and crashes, and the supervisor restarts a fresh instance.
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

  /// The tools this plugin offers. Called while Loaded, Running or Paused. Default: none.
  virtual std::vector<tool_spec> tools() const { return {}; }

  /// Runs tool `name` with `args` (already checked against its schema). Only while Running.
  /// Default: not_found.
  virtual caf::expected<payload> call_tool(plugin_context& ctx, const std::string& name,
                                           const payload& args) {
    (void)args;
    return make_error(errc::not_found, ctx.plugin_id(), "no tool named '" + name + "'");
  }

  /// Calls the plugin's own function `name` (for a Lua script, a global function) with `args`.
  /// Only while Loaded, Running or Paused. Default: not_found.
  virtual caf::expected<payload> call_function(plugin_context& ctx, const std::string& name,
                                               const payload& args) {
    (void)args;
    return make_error(errc::not_found, ctx.plugin_id(),
                      "no callable function named '" + name + "'");
  }

  /// Starts an invocation that may have to wait for another plugin. The default runs execute,
  /// call_tool or call_function and finishes at once; plugins that call other plugins override
  /// begin_call, continue_call and abandon_call.
  virtual call_step begin_call(plugin_context& ctx, const invocation& inv) {
    switch (inv.what) {
      case invocation::kind::tool: return call_step::done(call_tool(ctx, inv.name, inv.input));
      case invocation::kind::function:
        return call_step::done(call_function(ctx, inv.name, inv.input));
      case invocation::kind::hook: return call_step::done(run_hook(ctx, inv.name, inv.input));
      case invocation::kind::execute: break;
    }
    return call_step::done(execute(ctx, inv.input));
  }

  /// The hooks this plugin takes part in (docs/hooks.md); its metadata's hook_priority orders
  /// it among the others. Default: none.
  virtual std::vector<hook_point> hooks() const { return {}; }

  /// Runs one of its hooks (only those hooks() names are called, only while Running). Return a
  /// verdict (keep, replace, short_circuit; short_circuit only counts before a call) or an error,
  /// which fails the call with it. `call.ctx.state` may be changed: the call's later hooks see it.
  virtual caf::expected<hook_verdict> on_hook(plugin_context& ctx, hook_call& call) {
    (void)call;
    return make_error(errc::not_found, ctx.plugin_id(), "this plugin has no hooks");
  }

  /// Decodes a hook invocation, runs on_hook and encodes its verdict (the default begin_call's
  /// path for invocation::kind::hook).
  caf::expected<payload> run_hook(plugin_context& ctx, const std::string& point,
                                  const payload& args) {
    auto p = hook_point_named(point);
    if (!p)
      return make_error(errc::not_found, ctx.plugin_id(), "no hook point named '" + point + "'");
    auto call = decode_hook_call(*p, args, ctx.plugin_id());
    if (!call)
      return std::move(call.error());
    auto verdict = on_hook(ctx, *call);
    if (!verdict)
      return std::move(verdict.error());
    return encode_verdict(*verdict, call->ctx.state);
  }

  /// Hands a suspended invocation the answer (or error) to its outgoing call.
  virtual call_step continue_call(plugin_context& ctx, std::uint64_t ticket,
                                  caf::expected<payload> answer) {
    (void)answer;
    return call_step::done(make_error(errc::plugin_failed, ctx.plugin_id(),
                                      "no suspended call " + std::to_string(ticket)));
  }

  /// Drops a suspended invocation whose caller was already answered (e.g. at unload).
  virtual void abandon_call(plugin_context& ctx, std::uint64_t ticket) { (void)ctx; (void)ticket; }

  /// The plugin's own view of its health; an empty string means healthy with nothing to add.
  /// Return an error to report unhealthy. Called while Loaded, Running or Paused.
  virtual caf::expected<std::string> health_check(plugin_context& ctx) { (void)ctx; return std::string{}; }

  /// True if the plugin has state to keep across a crash: its host then asks checkpoint() after
  /// successful calls (as often as its supervision group says) and when it stops, and a restarted
  /// instance gets the last checkpoint through restore(). Default: false.
  virtual bool keeps_state() const { return false; }

  /// The plugin's state as a payload (any msgpack value). Called while Running or Paused, and
  /// after stop. An error skips this checkpoint (the previous one stays).
  virtual caf::expected<payload> checkpoint(plugin_context& ctx) {
    return make_error(errc::not_found, ctx.plugin_id(), "this plugin keeps no state");
  }

  /// Takes back a checkpoint of an earlier instance of the same plugin id, after init and before
  /// start. An error fails the restart (it counts as another crash).
  virtual caf::error restore(plugin_context& ctx, const payload& state) {
    (void)ctx;
    (void)state;
    return {};
  }

  /// Plugin-specific counters reported with the host's stats (e.g. {"keys": 42}). Called at any
  /// state after load.
  virtual std::map<std::string, std::int64_t> counters() const { return {}; }
};

/// The capability a plugin lists in its metadata when its calls block their thread for long
/// (network I/O, a model call): its host then runs detached, on a thread of its own, instead of
/// on the actor system's shared scheduler, so that it cannot stall other plugins. Decided when
/// the host is spawned (a reload keeps the host's thread). See docs/plugins.md ("Blocking
/// plugins").
constexpr const char* blocking_capability = "blocking";

/// True if `md` lists blocking_capability.
inline bool is_blocking(const plugin_metadata& md) {
  for (const auto& c : md.capabilities)
    if (c == blocking_capability)
      return true;
  return false;
}

/// Makes a fresh, unloaded plugin instance, or says why it cannot. Used to spawn and (later) to
/// restart or reload a plugin. Must be callable more than once.
using plugin_factory = std::function<caf::expected<std::unique_ptr<plugin>>()>;

} // namespace troupe
