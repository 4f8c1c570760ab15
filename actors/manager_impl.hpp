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

#include "actors/deadline_queue.hpp"
#include "actors/manager.hpp"
#include "actors/manager_state.hpp"
#include "actors/plugin_spawner.hpp"
#include "actors/tool_directory.hpp"
#include "actors/supervision/supervision_tree.hpp"
#include "messages/runtime_event.hpp"

namespace troupe::detail {

struct bulk_step;
struct hook_pass;
struct tool_run;

/// A plugin whose hook runs in a pass: its id and address.
struct hook_stage {
  std::string id;
  plugin_actor handle;
};

/// T itself, where a template argument must not be deduced (an answer type given explicitly).
template <class T>
struct as_is {
  using type = T;
};

/// CAF's own errors (a timeout, a dead actor) with the plugin's name attached; Troupe's as they are.
caf::error with_plugin(caf::error err, const std::string& id);

/// The state a plugin that is not up reports in lists, health and stats.
plugin_state state_when_down(const entry& e);

/// A duration as "N ms".
std::string ms_text(std::chrono::nanoseconds d);

/// The manager's own interface: the published one plus the messages it sends itself (a tick for
/// health checks, the watchdog and queue deadlines; a restart whose backoff has elapsed). Only
/// manager_actor is ever handed out, so no other actor or node can send these.
/// Its hosts report a crash (crashed, id, reason) and a reload's rollback (rollback, id, why,
/// the metadata of the version serving again).
using manager_impl_actor =
  manager_actor::extend<caf::reacts_to<tick_atom>, caf::reacts_to<restart_atom, std::uint64_t>,
                        caf::reacts_to<crashed_atom, std::string, std::string>,
                        caf::reacts_to<rollback_atom, std::string, std::string, plugin_metadata>,
                        caf::reacts_to<cluster_atom, caf::actor>,
                        caf::reacts_to<event_atom, runtime_event>>;

class manager_impl final : public manager_impl_actor::base {
public:
  manager_impl(caf::actor_config& cfg, manager_options opts);

  const char* name() const override { return "troupe.manager"; }

  behavior_type make_behavior() override;

  void on_exit() override;

private:
  // -- registry and routing (manager.cpp) ---------------------------------------------------------

  /// request(dest, xs...) answered to `on_ok` or `on_error`; past `timeout` (checked on the tick,
  /// not by a CAF timeout) `on_error` gets caf::sec::request_timeout and a late answer is dropped.
  template <class... Rs, class Handle, class... Ts>
  void ask(const Handle& dest, std::chrono::milliseconds timeout,
           typename as_is<std::function<void(Rs&...)>>::type on_ok,
           std::function<void(caf::error&)> on_error, Ts&&... xs) {
    auto ticket = deadlines_.add(clock().now() + timeout, [on_error] {
      caf::error err = caf::sec::request_timeout;
      on_error(err);
    });
    schedule_tick();
    request(dest, caf::infinite, std::forward<Ts>(xs)...)
      .then(
        [this, ticket, on_ok](Rs&... xs) {
          if (deadlines_.settle(ticket))
            on_ok(xs...);
        },
        [this, ticket, on_error](caf::error& err) {
          if (deadlines_.settle(ticket))
            on_error(err);
        });
  }
  /// Makes sure the tick runs (it keeps running once started).
  void schedule_tick();

  caf::expected<entry_ptr> find(const std::string& id);
  caf::result<plugin_metadata> on_register(plugin_config cfg, plugin_actor host);
  /// Takes a registered plugin's metadata and publishes its address.
  void registered(const entry_ptr& e, plugin_metadata md);
  /// Forgets a plugin: its entry, tools, tree position and address.
  void unregister(const std::string& id);
  /// Its address here, or a replica's on another node.
  caf::result<plugin_actor> lookup(const std::string& id);
  /// `err` (no such plugin here), or unavailable naming the node if the plugin went away with
  /// a member of the cluster.
  caf::error not_here(const std::string& id, caf::error err) const;
  /// Forgets an unloaded plugin and ends its actor.
  caf::result<plugin_state> remove(const std::string& id);
  /// Hands a call for plugin `id` on to its address (its answer goes straight to the caller).
  template <class Atom, class... Ts>
  caf::result<payload> pass_on(const std::string& id, Atom atom, Ts&&... xs);
  /// Takes metadata a plugin reported as the entry's (id from the config, its dependencies merged).
  void adopt_metadata(entry& e, plugin_metadata md);
  /// Runs the tool `name` resolves to in the directory on its plugin (no hooks: its answer goes
  /// straight to the caller).
  caf::result<payload> call_tool_directly(const std::string& name, payload args);
  /// Asks plugin e's host (one of ours) for its metadata and tools in one request, takes both and
  /// calls `then`; a host that does not answer keeps what it had.
  void take_description(const entry_ptr& e, std::function<void()> then);
  /// True if `e` is still registered and `who` is its plugin's current address: only that actor's
  /// answers speak for the plugin (not one replaced after a hang, not one unregistered since).
  bool speaks_for(const entry_ptr& e, const caf::actor_addr& who) const;
  /// Asks `handle` (plugin e's address) for its tools, puts them in the directory and calls
  /// `then`; a plugin that does not answer keeps the tools it had.
  void refresh_tools(const entry_ptr& e, plugin_actor handle, std::function<void()> then);

  // -- the hook pipeline (manager_hooks.cpp) -----------------------------------------------------

  /// Every registered plugin with agent hooks, by hook priority then registration.
  const std::vector<entry_ptr>& hook_chain();
  /// The plugins whose `point` hook runs now, in order (Running ones only): the chain's order
  /// before a call, the reverse after it (hooks nest like middleware); unavailable naming
  /// a hook plugin that failed for good (calls fail closed rather than skip its hook).
  caf::expected<std::vector<hook_stage>> hook_stages(hook_point point);
  /// hook_chain as plugin_info, for `troupe hooks`.
  caf::result<std::vector<plugin_info>> hooks_in_order();
  /// call_tool with the hooks around it; `agent` goes to their ctx.
  caf::result<payload> call_tool(const std::string& name, payload args, std::string agent);
  /// Calls the tool of `run` with the args the before hooks left, then its after hooks.
  void run_hooked_tool(std::shared_ptr<tool_run> run, hook_call call);
  /// Runs the next hook of `pass`, or calls its done.
  void run_pass(std::shared_ptr<hook_pass> pass);
  /// The hook endpoint: one model hook point over [value, ctx]; answers [action, value, ctx].
  caf::result<payload> run_model_hooks(const std::string& point, payload input);
  /// Plugin `id`'s address here (or a replica's on this node).
  caf::expected<plugin_actor> local_address(const std::string& id);

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
  /// Its host reports that plugin `id` crashed (the host answered its calls and holds new ones).
  void on_host_crashed(const std::string& id, const std::string& reason);
  /// A plugin went down: follows its group's plan (an unsupervised one is unregistered).
  void on_crash(const entry_ptr& e, const std::string& reason, bool abnormal);
  void apply(const restart_plan& plan, const std::string& crashed, const std::string& reason);
  /// Gives a plugin whose host hung or died a successor host at its address in the directory;
  /// the old host forwards there once it runs again. False if none could be made.
  bool replace_host(const entry_ptr& e, const std::string& reason);
  void run_batch(std::uint64_t batch);
  void restart_next(std::shared_ptr<std::vector<std::string>> ids, std::size_t index,
                    std::uint64_t batch);
  void on_revived(const entry_ptr& e, std::uint64_t revive, caf::error err);
  void back_up(const entry_ptr& e);
  void give_up(const entry_ptr& e, const std::string& reason);
  const group_spec& group_of(const std::string& id) const;

  // -- reload (manager_reload.cpp) ----------------------------------------------------------------

  caf::result<plugin_metadata> reload(const std::string& id);
  /// reload(id), or, for a plugin with replicas on this node ("ID#1", "ID#2", ...), each of
  /// them: the first error, or the new metadata.
  caf::result<plugin_metadata> reload_all_of(const std::string& id);
  void on_rolled_back(const std::string& id, const std::string& why, plugin_metadata md);

  // -- the tick: deadlines, watchdog, health checks (manager_health.cpp) --------------------------

  void on_tick();
  void check_health(const entry_ptr& e);
  /// A call running for the group's watchdog or longer is answered crashed from here (its host
  /// is stuck in plugin code) and the plugin gets a successor host.
  void check_watchdog(const entry_ptr& e, caf::actor_clock::time_point now);
  void on_health_answer(const entry_ptr& e, const plugin_actor& handle, bool healthy,
                        const std::string& detail);

  // -- events (manager_events.cpp) ----------------------------------------------------------------

  void emit(event_kind kind, const std::string& plugin, std::string detail, std::string group = {},
            std::size_t attempt = 0, std::chrono::nanoseconds delay = {});
  bool subscribe(caf::actor who);
  /// Sends `ev` to every subscriber.
  void publish(const runtime_event& ev);

  manager_options opts_;
  std::map<std::string, entry_ptr> entries_;
  std::uint64_t next_registration_ = 1;
  std::vector<entry_ptr> hook_chain_; ///< See hook_chain(); rebuilt when metadata changes.
  bool hook_chain_dirty_ = true;
  std::uint64_t next_hook_call_ = 1; ///< ctx.call_id of the next hooked call.
  tool_directory tools_; ///< Kept current at load, init, reload, rollback, unload and removal.
  supervision_tree tree_;
  std::map<std::uint64_t, std::vector<std::string>> pending_batches_;
  std::uint64_t next_batch_ = 1;
  std::vector<caf::actor> subscribers_;
  caf::actor cluster_member_; ///< This node's cluster member; null outside a cluster.
  std::map<std::string, caf::actor_clock::time_point> last_health_; ///< Per group.
  deadline_queue deadlines_; ///< Of the requests sent with ask().
  std::chrono::milliseconds tick_interval_;
  bool tick_scheduled_ = false;
};

} // namespace troupe::detail
