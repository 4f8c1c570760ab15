#pragma once
// Internal to the manager: its actor class, one file per job: manager.cpp (registry, routing,
// tools), manager_lifecycle.cpp, manager_queries.cpp, manager_supervision.cpp (crashes, restarts,
// held requests), manager_reload.cpp, manager_health.cpp (the tick, watchdog, health checks) and
// manager_events.cpp.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/typed_event_based_actor.hpp>

#include "actors/manager.hpp"
#include "actors/manager_state.hpp"
#include "actors/plugin_spawner.hpp"
#include "actors/tool_directory.hpp"
#include "actors/supervision/supervision_tree.hpp"
#include "messages/runtime_event.hpp"

namespace troupe::detail {

struct bulk_step;

/// CAF's own errors (a timeout, a dead actor) with the plugin's name attached; Troupe's as they are.
caf::error with_plugin(caf::error err, const std::string& id);

/// The state a plugin that is not up reports in lists, health and stats.
plugin_state state_when_down(const entry& e);

/// A duration as "N ms".
std::string ms_text(std::chrono::nanoseconds d);

/// The manager's own interface: the published one plus the messages it sends itself (a tick for
/// health checks, the watchdog and queue deadlines; a restart whose backoff has elapsed). Only
/// manager_actor is ever handed out, so no other actor or node can send these.
using manager_impl_actor =
  manager_actor::extend<caf::reacts_to<tick_atom>, caf::reacts_to<restart_atom, std::uint64_t>>;

class manager_impl final : public manager_impl_actor::base {
public:
  manager_impl(caf::actor_config& cfg, manager_options opts);

  const char* name() const override { return "troupe.manager"; }

  behavior_type make_behavior() override;

  void on_exit() override;

private:
  // -- registry and routing (manager.cpp) ---------------------------------------------------------

  caf::expected<entry_ptr> find(const std::string& id);
  caf::result<plugin_metadata> on_register(plugin_config cfg, plugin_actor host);
  /// Sends a call to the plugin, holds it while the plugin restarts, or answers why it cannot.
  caf::result<payload> route(const std::string& id, routed_call call);
  /// Sends a call on, holds it, or answers why not, as the plugin's status says.
  void dispatch(const entry_ptr& e, routed_call call);
  void forward(const entry_ptr& e, routed_call call);
  /// Takes metadata a plugin reported as the entry's (id from the config, its dependencies merged).
  void adopt_metadata(entry& e, plugin_metadata md);
  void on_reply(const entry_ptr& e, std::uint64_t ticket, caf::expected<payload> out);
  /// Runs the tool `name` resolves to in the directory on its plugin.
  caf::result<payload> call_tool(const std::string& name, payload args);
  /// Asks `handle` (plugin e's actor, current or about to be) for its tools, puts them in the
  /// directory and calls `then`; a plugin that does not answer keeps the tools it had.
  void refresh_tools(const entry_ptr& e, plugin_actor handle, std::function<void()> then);

  // -- lifecycle steps (manager_lifecycle.cpp) ----------------------------------------------------

  /// Sends `op` to one plugin; `on_done` gets its new state or the error. Load and init re-read
  /// the plugin's tools, load its metadata; unload forgets its tools.
  void send_step(lifecycle_op op, const entry_ptr& e,
                 std::function<void(caf::expected<plugin_state>)> on_done);
  caf::result<plugin_state> one(lifecycle_op op, const std::string& id);
  /// `op` for every plugin, wave after wave (dependency_waves; reversed for stop and unload),
  /// the plugins of a wave concurrently.
  caf::result<std::vector<std::string>> all(lifecycle_op op);
  /// Sends the next steps of `step`'s current wave, or moves on to the next wave, or answers.
  void run_wave(std::shared_ptr<bulk_step> step);
  void on_bulk_answer(const std::shared_ptr<bulk_step>& step, std::size_t index,
                      caf::expected<plugin_state> result);

  // -- queries (manager_queries.cpp) --------------------------------------------------------------

  caf::result<std::vector<plugin_info>> list(std::optional<plugin_type> type);
  caf::result<std::vector<plugin_health>> health_of_all();
  caf::result<plugin_health> health_of(const std::string& id);
  caf::result<std::vector<plugin_stats>> stats_of_all();
  caf::result<plugin_stats> stats_of(const std::string& id);
  template <class T, class Atom, class OnError>
  caf::typed_response_promise<std::vector<T>> gather(Atom atom, OnError on_error,
                                                     std::function<bool(const T&)> keep = {});
  template <class T, class Atom, class OnError, class Then>
  void gather_then(Atom atom, OnError on_error, Then then);

  // -- supervision (manager_supervision.cpp) ------------------------------------------------------

  void on_down(const caf::down_msg& msg);
  /// A supervised or unsupervised plugin crashed (or exited): answers its calls, then follows
  /// its group's plan. `kill` ends the old actor (a hang or failed health checks).
  void on_crash(const entry_ptr& e, const std::string& reason, bool abnormal, bool kill);
  void apply(const restart_plan& plan, const std::string& crashed, const std::string& reason);
  /// Ends a plugin's actor and answers its calls in flight with `why`.
  void take_down(const entry_ptr& e, const std::string& why, bool kill);
  void run_batch(std::uint64_t batch);
  void restart_next(std::shared_ptr<std::vector<std::string>> ids, std::size_t index,
                    std::uint64_t batch);
  void bring_up(const entry_ptr& e, std::vector<lifecycle_op> steps, std::size_t index,
                std::function<void(caf::error)> done);
  /// Sends `steps` one after the other to `handle` (load carries `cfg`); `done` gets the first
  /// error or none.
  void step_through(plugin_actor handle, plugin_config cfg, std::vector<lifecycle_op> steps,
                    std::size_t index, std::function<void(caf::error)> done);
  void back_up(const entry_ptr& e);
  void give_up(const entry_ptr& e, const std::string& reason);
  void hold(const entry_ptr& e, routed_call call);
  void fail_held(const entry_ptr& e, const caf::error& err);
  void expire_held(const entry_ptr& e, caf::actor_clock::time_point now);
  /// Answers every call in flight with `err`.
  void fail_in_flight(const entry_ptr& e, const caf::error& err);
  /// Runs (once) what a reload waits for when the calls in flight are done.
  void run_drained(const entry_ptr& e);
  /// The plugin serves (again): status up, watchdog reset, held requests sent on in order.
  void serve_again(const entry_ptr& e);
  const group_spec& group_of(const std::string& id) const;

  // -- reload (manager_reload.cpp) ----------------------------------------------------------------

  caf::result<plugin_metadata> reload(const std::string& id);
  void swap_in(const entry_ptr& e, plugin_actor fresh, plugin_metadata fresh_md,
               caf::actor_clock::time_point started,
               caf::typed_response_promise<plugin_metadata> promise);
  /// Counts a call of a freshly reloaded version; rolls back after rollback_after failures.
  void on_probation(const entry_ptr& e, bool ok);
  void end_probation(const entry_ptr& e);
  void reload_failed(const entry_ptr& e, const plugin_actor& fresh, const caf::error& err,
                     caf::typed_response_promise<plugin_metadata> promise);

  // -- the tick: deadlines, watchdog, health checks (manager_health.cpp) --------------------------

  void on_tick();
  void check_health(const entry_ptr& e);
  void check_watchdog(const entry_ptr& e, caf::actor_clock::time_point now);
  void on_health_answer(const entry_ptr& e, const plugin_actor& handle, bool healthy,
                        const std::string& detail);

  // -- events (manager_events.cpp) ----------------------------------------------------------------

  void emit(event_kind kind, const std::string& plugin, std::string detail, std::string group = {},
            std::size_t attempt = 0, std::chrono::nanoseconds delay = {});
  bool subscribe(caf::actor who);

  manager_options opts_;
  std::map<std::string, entry_ptr> entries_;
  tool_directory tools_; ///< Kept current at load, init, reload, rollback, unload and removal.
  supervision_tree tree_;
  std::map<std::uint64_t, std::vector<std::string>> pending_batches_;
  std::uint64_t next_batch_ = 1;
  std::vector<caf::actor> subscribers_;
  std::map<std::string, caf::actor_clock::time_point> last_health_; ///< Per group.
  std::chrono::milliseconds tick_interval_;
  bool tick_scheduled_ = false;
};

} // namespace troupe::detail
