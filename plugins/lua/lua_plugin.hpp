#pragma once
// A runtime plugin: a Lua 5.4 script in its own sandboxed state, behind the same plugin API as a
// native plugin. See docs/lua-plugins.md for the script's shape, the value mapping, the builtins
// and the sandbox.

#include <memory>
#include <string>
#include <vector>

#include "plugins/api/plugin.hpp"
#include "plugins/lua/sandbox_limits.hpp"
#include "plugins/lua/script_validator.hpp"

namespace troupe::lua {

/// Where a script comes from: a file, or source text with a name used in messages.
struct script_source {
  std::string path;   ///< The file; also the name in messages ("rules.lua:12: ...").
  std::string text;   ///< If not empty, used instead of reading `path`.
};

/// The plugin id a script file gets when nothing names it: the file name without ".lua"
/// ("script" if that leaves nothing). Used by `troupe exec --script` and the file watch.
std::string script_plugin_id(const std::string& path);

/// Hosts one script. load compiles and runs its main chunk once; execute runs `execute(input)` as
/// a coroutine so that call_plugin can wait for another plugin without blocking the actor.
class lua_plugin final : public plugin {
public:
  /// The script is read at load (from `source`, or from the "script" setting if source.path and
  /// source.text are empty). `limits` are the defaults the "limit.<name>" settings override.
  explicit lua_plugin(script_source source, sandbox_limits limits = {});
  ~lua_plugin() override;

  /// A factory for instances of the same script.
  static plugin_factory factory(script_source source, sandbox_limits limits = {});

  plugin_metadata metadata() const override;
  caf::error load(plugin_context& ctx) override;
  caf::error init(plugin_context& ctx) override;
  caf::error start(plugin_context& ctx) override;
  caf::error pause(plugin_context& ctx) override;
  caf::error resume(plugin_context& ctx) override;
  caf::error stop(plugin_context& ctx) override;
  caf::error unload(plugin_context& ctx) override;

  /// Runs execute to the end; a call_plugin inside it fails (only begin_call can wait).
  caf::expected<payload> execute(plugin_context& ctx, const payload& input) override;

  std::vector<tool_spec> tools() const override;
  caf::expected<payload> call_tool(plugin_context& ctx, const std::string& name,
                                   const payload& args) override;

  /// The host API call_script_function: calls global function `name` with `args` (a msgpack
  /// array is spread as the arguments; nil means none; any other value is the one argument) and
  /// answers its first result.
  caf::expected<payload> call_function(plugin_context& ctx, const std::string& name,
                                       const payload& args) override;

  call_step begin_call(plugin_context& ctx, const invocation& inv) override;
  call_step continue_call(plugin_context& ctx, std::uint64_t ticket,
                          caf::expected<payload> answer) override;
  void abandon_call(plugin_context& ctx, std::uint64_t ticket) override;

  caf::expected<std::string> health_check(plugin_context& ctx) override;

  /// True if the script defines snapshot(): its result is the plugin's checkpoint, handed to
  /// the script's restore(state) (if defined) after init when the plugin is restarted.
  bool keeps_state() const override;
  /// snapshot()'s result; without snapshot(), the script's data globals (used by reload).
  caf::expected<payload> checkpoint(plugin_context& ctx) override;
  /// restore(state) if the script defines it; else, for a state of data globals, sets them.
  caf::error restore(plugin_context& ctx, const payload& state) override;

  /// memory_bytes, memory_peak_bytes, memory_limit_bytes, instructions, time_stops,
  /// instruction_stops, memory_stops, waiting_calls.
  std::map<std::string, std::int64_t> counters() const override;

  /// The limits in force (after load, including the settings).
  const sandbox_limits& limits() const;

  struct impl;

private:
  /// The result of a call run without a host: a suspension (call_plugin) is abandoned.
  caf::expected<payload> finished_now(plugin_context& ctx, call_step step);
  /// begin_call without the unrecoverable-state check.
  call_step start_call(plugin_context& ctx, const invocation& inv);
  /// A failed step of a state that cannot recover becomes errc::fatal (the host crashes).
  call_step fatal_if_unrecoverable(plugin_context& ctx, call_step step);

  std::unique_ptr<impl> impl_;
};

} // namespace troupe::lua
