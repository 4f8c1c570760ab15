#pragma once
// One plugin object as its host drives it: its context (from load), lifecycle position, tools and
// checkpoints. Not an actor: the host calls it on its own thread. Internal to actors/.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "actors/checkpoint_store.hpp"
#include "actors/lifecycle.hpp"
#include "actors/tool_catalog.hpp"
#include "messages/payload.hpp"
#include "messages/plugin_types.hpp"
#include "plugins/api/plugin.hpp"
#include "plugins/api/plugin_context.hpp"
#include "plugins/api/shared_state.hpp"

namespace troupe::detail {

/// True for an error that crashes the plugin (errc::fatal, returned or from an exception).
bool is_fatal(const caf::error& err);

/// Makes sure an error from plugin code names the plugin (foreign errors become plugin_failed).
caf::error attribute(caf::error err, const std::string& id);

/// Every error it returns names the plugin; a fatal one (errc::fatal returned by, or an exception
/// escaping, plugin code) is returned as errc::fatal for the host to crash on, and changes nothing
/// else. Other failing hooks move it to Error as the lifecycle says.
class plugin_instance {
public:
  /// REQUIRES: impl and shared are not null.
  plugin_instance(std::string id, std::unique_ptr<plugin> impl,
                  std::shared_ptr<shared_state> shared,
                  std::shared_ptr<checkpoint_store> checkpoints, std::size_t checkpoint_every);

  const plugin_state& state() const { return state_; }
  lifecycle_position position() const { return {state_.code, initialized_}; }
  /// The config of the last load; null before the first.
  const plugin_config* config() const { return context_ ? &context_->config() : nullptr; }

  caf::expected<plugin_state> load(plugin_config cfg);
  /// init, start, pause, resume or stop (init restores a checkpoint, stop saves one).
  caf::expected<plugin_state> step(lifecycle_op op);
  /// From Loaded, the steps up to `target` (init if it is initialised, start if Running or
  /// Paused, pause if Paused); the first error. A restart and a reload bring a new instance back
  /// to where the old one was with it.
  caf::expected<plugin_state> step_to(lifecycle_position target);
  /// Always ends Unloaded; the hook's error is returned all the same.
  caf::expected<plugin_state> unload();

  /// Its checkpoint now (not_found if it keeps none) while Loaded, Running or Paused.
  caf::expected<payload> export_state();
  /// Takes a state exported from another instance of the same plugin; only while Loaded.
  caf::expected<plugin_state> import_state(const payload& state);

  /// Why a call of `what` cannot run now (invalid_state, or bad_input for tool arguments), or none.
  caf::error refuse(const invocation& inv) const;
  /// Runs plugin code for a call: its answer, or a suspended step waiting on another plugin.
  caf::expected<call_step> begin(const invocation& inv);
  call_step resume(std::uint64_t ticket, caf::expected<payload> answer);
  void abandon(std::uint64_t ticket);
  /// After a successful call: saves a checkpoint when one is due; a fatal error if that crashed.
  caf::error after_success();

  /// Its health; a fatal error (the check threw) instead for the host to crash on.
  caf::expected<plugin_health> health();
  std::map<std::string, std::int64_t> counters();
  plugin_metadata metadata();
  std::vector<tool_info> tools() const { return tools_.list(); }

private:
  void enter(plugin_state next);
  caf::expected<lifecycle_position> check(lifecycle_op op);
  caf::error fail(lifecycle_op op, caf::error err);
  void refresh_tools();
  caf::expected<payload> take_checkpoint();
  caf::error restore_checkpoint();
  caf::error save_checkpoint();

  std::string id_;
  std::unique_ptr<plugin> impl_;
  std::shared_ptr<shared_state> shared_;
  std::shared_ptr<checkpoint_store> checkpoints_;
  std::size_t checkpoint_every_;
  std::size_t calls_since_checkpoint_ = 0;
  bool keeps_state_ = false;
  std::unique_ptr<plugin_context> context_;
  tool_catalog tools_;
  plugin_state state_;
  bool initialized_ = false;
};

} // namespace troupe::detail
