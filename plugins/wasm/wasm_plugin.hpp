#pragma once
// A WebAssembly plugin: a module run by libwabt's interpreter under fuel, wall-time and memory
// limits, behind the same plugin API as a native or Lua plugin (docs/wasm-plugins.md).

#include <memory>
#include <string>
#include <vector>

#include "plugins/api/plugin.hpp"
#include "plugins/wasm/wasm_module.hpp"

namespace troupe::wasm {

class metering_cache;

/// The plugin id a module file gets when nothing names it: the file name without ".wasm"
/// ("module" if that leaves nothing). Used by `troupe exec --script` and the file watch.
std::string module_plugin_id(const std::string& path);

/// Hosts one module. load reads, meters and instantiates it and reads its metadata; init, start
/// and stop call the module's exports of those names if it has them; execute and call_tool run
/// under the limits. The state (linear memory and mutable globals) is the plugin's checkpoint,
/// so it is carried across reloads and restored after a restart. Settings: "module" (the file,
/// when not given to the constructor), "checkpoint" (on | off, default on), "limit.<name>".
class wasm_plugin final : public plugin {
public:
  /// The module is read at load from `path` (or, if empty, from the "module" setting).
  /// `limits` are the defaults the "limit.<name>" settings override.
  /// `cache` (shared by the instances of one factory) spares a restarted instance the rewrite.
  explicit wasm_plugin(std::string path, module_limits limits = {},
                       std::shared_ptr<metering_cache> cache = nullptr);
  ~wasm_plugin() override;

  /// A factory for instances of the same module file, sharing one metering_cache.
  static plugin_factory factory(std::string path, module_limits limits = {});

  plugin_metadata metadata() const override;
  caf::error load(plugin_context& ctx) override;
  caf::error init(plugin_context& ctx) override;
  caf::error start(plugin_context& ctx) override;
  caf::error stop(plugin_context& ctx) override;
  caf::error unload(plugin_context& ctx) override;
  caf::expected<payload> execute(plugin_context& ctx, const payload& input) override;
  std::vector<tool_spec> tools() const override;
  caf::expected<payload> call_tool(plugin_context& ctx, const std::string& name,
                                   const payload& args) override;

  /// A hook invocation runs the module's hook export (see hook_answer); everything else as the
  /// default (execute, call_tool).
  call_step begin_call(plugin_context& ctx, const invocation& inv) override;

  /// True unless the setting checkpoint = "off": the module's memory and globals are then
  /// checkpointed after calls (as often as its group's checkpoint_every says) and restored after
  /// a restart. A reload carries the state either way.
  bool keeps_state() const override;
  caf::expected<payload> checkpoint(plugin_context& ctx) override;
  caf::error restore(plugin_context& ctx, const payload& state) override;

  /// The module's counters (wasm_module::counters) once loaded.
  std::map<std::string, std::int64_t> counters() const override;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace troupe::wasm
