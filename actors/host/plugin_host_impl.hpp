#pragma once
// Internal to actors/: the actor that is a plugin's stable address. One file per job:
// plugin_host.cpp (messages, lifecycle, queries), host_calls.cpp (execute, tools, functions and
// the calls a plugin makes), host_supervision.cpp (crash, hold, revive, retire, forward) and
// host_reload.cpp (reload, probation, rollback).

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/host/call_probe.hpp"
#include "actors/host/plugin_instance.hpp"
#include "actors/latency_stats.hpp"
#include "actors/plugin_host.hpp"

namespace troupe::detail {

/// A call held while the plugin restarts or swaps, answered timeout at `deadline`.
struct held_call {
  invocation inv;
  caf::typed_response_promise<payload> promise;
  caf::actor_clock::time_point deadline;
};

/// An invocation suspended until the plugin it called answers.
struct waiting_call {
  caf::typed_response_promise<payload> promise;
  std::chrono::steady_clock::time_point started;
  std::string target; ///< The plugin it waits on, for error messages.
  /// Set for a call of a batch: takes the answer instead of `promise`.
  std::function<void(caf::expected<payload>)> done;
};

/// What the host does with a call.
enum class host_mode : std::uint8_t {
  serving,    ///< Its plugin object runs it.
  crashed,    ///< The plugin crashed: calls queued before the crash are answered crashed.
  holding,    ///< Restarting or swapping: calls wait in the bounded queue (or fail fast).
  retired,    ///< Stopped for good: calls are answered unavailable.
  hung,       ///< Its plugin hung and the watchdog gave up on it: answered crashed until...
  forwarding, ///< ...its successor is known: everything goes there.
};

class plugin_host final : public host_actor::base {
public:
  plugin_host(caf::actor_config& cfg, std::string id, std::unique_ptr<plugin> impl,
              std::shared_ptr<shared_state> shared, host_options opts);

  const char* name() const override { return "troupe.plugin_host"; }

  behavior_type make_behavior() override;

  void on_exit() override;

private:
  // -- lifecycle and queries (plugin_host.cpp) ----------------------------------------------------

  caf::result<plugin_state> on_load(plugin_config cfg);
  caf::result<plugin_state> on_step(lifecycle_op op);
  caf::result<plugin_state> on_unload();
  caf::result<payload> on_export();
  caf::result<plugin_state> on_import(payload state);
  plugin_health on_health();
  plugin_stats on_stats();
  plugin_metadata on_metadata();
  plugin_info on_list();
  std::vector<tool_info> on_tools();
  /// The state it reports when its plugin object is gone.
  plugin_state state_when_away() const;
  /// Why a lifecycle step cannot run now (not serving), or none.
  caf::error refuse_step(lifecycle_op op) const;

  // -- calls (host_calls.cpp) ---------------------------------------------------------------------

  /// Runs, holds or answers a call as the mode says.
  caf::result<payload> on_call(invocation inv);
  /// Each input as an execute, in order; every outcome in one answer. While it serves, the inputs
  /// run here one after the other; from the first that calls another plugin (it waits for its
  /// answer) or the first a crash, hang or hold meets, the rest are sent to itself as lone
  /// executes, so each takes the usual path (held while restarting, answered crashed by a crash).
  /// A hang in plugin code is answered (by the watchdog) to the whole batch.
  caf::result<std::vector<call_outcome>> on_batch(std::vector<payload> batch);
  /// Runs the inputs of `batch` from `next` on as lone executes sent to itself; `suspended`
  /// (the input before `next`, if set) waits on another plugin. Answers `done` and them.
  caf::result<std::vector<call_outcome>> batch_rest(std::vector<payload>& batch, std::size_t next,
                                                    std::vector<call_outcome> done,
                                                    std::optional<call_step> suspended,
                                                    std::chrono::steady_clock::time_point started);
  caf::result<payload> invoke(invocation inv);
  caf::expected<payload> finish(std::chrono::steady_clock::time_point started,
                                caf::expected<payload> out);
  void drive(call_step step, waiting_call w);
  /// True for the outgoing-call targets the manager serves: "troupe.hooks/POINT" (the hook
  /// pipeline of a model hook point), "troupe.tool/NAME" (a tool call through the pipeline) and
  /// "troupe.tools" (every tool, listed).
  static bool is_pipeline_target(const std::string& target);
  /// Sends an outgoing call to such a target to the manager (a tool call names this plugin as
  /// the agent).
  template <class OnOk, class OnError>
  void ask_pipeline(outgoing_call call, OnOk on_ok, OnError on_error);
  void on_answer(std::uint64_t ticket, caf::expected<payload> answer);
  /// Answers every suspended call with unavailable (it was dropped: `why`) and tells the plugin
  /// to drop them.
  void fail_waiting(const std::string& why);
  /// Plugin code for a call starts: tells the watchdog who waits for it (`request`: the current
  /// message's sender; else nobody, as for a continuation).
  void probe_begin(bool request, std::chrono::steady_clock::time_point now);
  /// Plugin code returned: false if the watchdog answered the call meanwhile (the host is hung).
  bool probe_end();

  // -- supervision (host_supervision.cpp) ---------------------------------------------------------

  /// The plugin crashed with `reason`: answers crashed from now to the barrier, reports it (or,
  /// unsupervised, ends the actor). Returns the error for the call that crashed it.
  caf::error crash(const std::string& reason);
  /// Crashes on a fatal error; returns other errors as they are.
  caf::error crash_if_fatal(caf::error err);
  /// Ends the plugin object: suspended calls are answered `why` (errc::crashed).
  void drop_instance(const std::string& why);
  /// The hang ended: the watchdog answered the call and a successor takes over.
  void on_hang_ended();
  void hold(invocation inv, caf::typed_response_promise<payload> promise);
  /// Runs the held calls in order (the ones behind a crash among them are answered crashed).
  void serve_held();
  /// Runs one held call, answering `promise`.
  void run_held(invocation inv, caf::typed_response_promise<payload> promise);
  void expire_held();
  void fail_held(const caf::error& err);
  void on_hold(const std::string& why);
  caf::result<plugin_state> on_revive(plugin_state target, bool initialized);
  void on_retire(const std::string& why);
  void on_forward(plugin_actor successor);
  void on_barrier();
  /// A fresh plugin object stepped to `target` (load with the last config, init, start, pause);
  /// with `use_spare`, the spare (already loaded) if there is one.
  caf::expected<std::unique_ptr<plugin_instance>> build(lifecycle_position target,
                                                        bool use_spare);
  /// Has a spare instance built in the background when the group wants one and none is there.
  void request_spare();
  void on_spare(spare_instance spare);

  // -- reload (host_reload.cpp) -------------------------------------------------------------------

  caf::result<plugin_metadata> on_reload();
  /// Carries the state over, starts the new version and swaps it in; or the old one serves on.
  void swap_in(caf::typed_response_promise<plugin_metadata> promise);
  /// Carries the old version's state into staged_ and brings it to the old one's position.
  caf::error prepare_staged();
  /// Ends a reload that failed: the old version serves on; answers `promise` with `err`.
  void reload_failed(caf::error err, caf::typed_response_promise<plugin_metadata> promise);
  /// Counts a finished call of a version on probation; rolls back after rollback_after failures.
  void on_probation(bool ok);
  void end_probation();

  std::string id_;
  std::shared_ptr<shared_state> shared_;
  host_options opts_;
  std::unique_ptr<plugin_instance> instance_; ///< Null unless serving (or unsupervised, crashed).
  plugin_config config_;                      ///< From the last load: a revive loads it again.
  plugin_metadata last_metadata_;             ///< Reported while the plugin object is gone.
  host_mode mode_ = host_mode::serving;
  std::string reason_;                        ///< Why it is not serving.
  std::deque<held_call> held_;
  bool expiry_scheduled_ = false;
  bool releasing_ = false; ///< Revived: serves the held calls at the next barrier.
  std::unordered_map<std::uint64_t, waiting_call> waiting_;
  latency_stats stats_;
  host_actor successor_; ///< Set when forwarding: a host the manager made after a hang.
  // Standby: a spare instance (loaded) for the next restart, once the plugin has crashed.
  std::unique_ptr<plugin_instance> spare_;
  bool spare_wanted_ = false;
  bool spare_pending_ = false;
  std::uint64_t generation_ = 0; ///< Code generation: reloads and rollbacks make spares stale.
  // Reload.
  bool reloading_ = false;
  std::unique_ptr<plugin_instance> staged_; ///< A reload's new version, waiting for the swap.
  std::function<void()> on_drained_; ///< Runs once waiting_ empties while swapping.
  std::unique_ptr<plugin_instance> previous_; ///< The version before the last reload, on probation.
  std::size_t probation_left_ = 0;
  std::size_t probation_failures_ = 0;
};

} // namespace troupe::detail
