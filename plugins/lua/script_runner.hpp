#pragma once
// One script's Lua state and how calls run in it: the sandbox, the builtins, call_plugin, the
// limits, and invocations run as coroutines that may suspend on call_plugin.

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "plugins/api/plugin.hpp"
#include "plugins/lua/key_cache.hpp"
#include "plugins/lua/lua_state.hpp"
#include "plugins/lua/run_guard.hpp"
#include "plugins/lua/sandbox_limits.hpp"

namespace troupe::lua {

/// Owns a sandboxed state running one script. Used from one thread at a time.
class script_runner {
public:
  /// `plugin` names the plugin in errors and logs; `chunk` names the script in Lua messages.
  script_runner(std::string plugin, std::string chunk, sandbox_limits limits);
  ~script_runner();

  /// Opens the state and runs the script's main chunk once. load_failed with "file:line: ..."
  /// for a syntax error or a failing main chunk; limit_exceeded if a limit stopped it.
  caf::error open(const std::string& source);

  /// A registry reference to global function `name`; LUA_NOREF if the global is nil; load_failed
  /// if it is something else.
  caf::expected<int> global_function(const std::string& name);

  /// Runs `fn` (a registry reference) on the main thread to the end with the settings as its one
  /// argument if `settings` is set. Errors name `what` ("init").
  caf::error call_hook(int fn, const std::string& what,
                       const std::map<std::string, std::string>* settings = nullptr);

  /// Starts function `fn` as a coroutine with `input` (one argument, or spread if `spread`).
  /// With `hook` (an agent hook; input spread, its last argument the ctx table) it answers
  /// [action, value, ctx.state] instead of its first result.
  call_step begin(std::uint64_t ticket, int fn, std::string what, const payload& input,
                  bool spread, bool hook = false);

  /// Resumes a suspended invocation with the answer to its call_plugin.
  call_step resume(std::uint64_t ticket, caf::expected<payload> answer);

  /// Drops a suspended invocation.
  void abandon(std::uint64_t ticket);

  /// The state, for reading the script's globals. Use inside protected calls only.
  lua_State* state() const { return state_ ? state_->get() : nullptr; }

  /// Runs `f(L)` inside a protected call on the main thread; load_failed naming `what` on error.
  caf::error protect(const std::string& what, const std::function<void(lua_State*)>& f);

  /// counters() of the plugin.
  std::map<std::string, std::int64_t> counters() const;

  const sandbox_limits& limits() const { return limits_; }

  /// The script's data globals (every global the sandbox did not define whose value is not a
  /// function and maps to msgpack) as a msgpack map; globals that do not map are skipped.
  caf::expected<payload> export_globals();

  /// Sets each entry of a map made by export_globals as a global (after the main chunk ran, so
  /// carried values win over the new version's initial ones).
  caf::error import_globals(const payload& globals);

  /// True once a memory stop left the state unable to recover: even after a full collection
  /// it still holds 90 % or more of its memory limit (the script keeps the data reachable).
  /// The plugin reports that as fatal, so its supervisor restarts it with a fresh state.
  bool unrecoverable() const { return unrecoverable_; }

  /// How many invocations wait on call_plugin.
  std::size_t waiting() const { return suspended_.size(); }

  struct execution;

private:
  struct thread_slot {
    int ref;
    lua_State* thread;
  };

  caf::expected<thread_slot> acquire_thread();
  void release_thread(thread_slot slot, bool failed);
  call_step run(std::uint64_t ticket, std::unique_ptr<execution> ex, int nargs);
  /// The top `n` values of T's stack as one msgpack array.
  caf::expected<payload> encode_values(lua_State* T, int n);
  caf::error error_from(lua_State* T, int status, stop_reason stop, const std::string& what);
  static int call_plugin(lua_State* L);
  /// call_tool(name, args[, timeout_ms]): call_plugin to "troupe.tool/NAME" (the manager runs
  /// the tool with the hook pipeline around it).
  static int call_tool(lua_State* L);

  std::string plugin_;
  std::string chunk_;
  sandbox_limits limits_;
  run_guard guard_;
  key_cache keys_; ///< Map keys and JSON member names the decoders push (see key_cache.hpp).
  std::unique_ptr<troupe::lua::state> state_;
  std::vector<thread_slot> idle_threads_;
  std::unordered_map<std::uint64_t, std::unique_ptr<execution>> suspended_;
  execution* current_ = nullptr;
  std::unique_ptr<execution> spare_;  ///< reused by the next invocation
  const bool* starting_ = nullptr;    ///< set while a new invocation decodes its input
  std::uint64_t memory_stops_ = 0;
  bool collect_after_failure_ = false; ///< a memory stop: collect once the coroutine is dropped
  bool unrecoverable_ = false;
  static const std::set<std::string>& no_globals() {
    static const std::set<std::string> none;
    return none;
  }

  /// What the sandbox and builtins define (shared by every state; set by open).
  const std::set<std::string>* base_globals_ = &no_globals();
};

} // namespace troupe::lua
