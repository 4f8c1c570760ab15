#include "actors/plugin_host.hpp"

#include <chrono>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/latency_stats.hpp"
#include "actors/lifecycle.hpp"
#include "actors/tool_catalog.hpp"
#include "messages/errors.hpp"

namespace troupe {

namespace {

/// Runs plugin code, turning anything it throws into a fatal error naming the plugin: an
/// exception that escapes plugin code crashes the plugin.
template <class F>
auto guarded(const std::string& id, const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return make_error(errc::fatal, id, std::string(what) + " threw: " + e.what());
  } catch (...) {
    return make_error(errc::fatal, id, std::string(what) + " threw a non-standard exception");
  }
}

/// True for an error that crashes the plugin (errc::fatal, returned or from an exception).
bool is_fatal(const caf::error& err) {
  return is_troupe_error(err) && err.code() == static_cast<std::uint8_t>(errc::fatal);
}

/// Answers a promise with a value or an error.
void deliver(caf::typed_response_promise<payload>& promise, caf::expected<payload> out) {
  if (out)
    promise.deliver(std::move(*out));
  else
    promise.deliver(std::move(out.error()));
}

/// Makes sure an error from plugin code names the plugin.
caf::error attribute(caf::error err, const std::string& id) {
  if (is_troupe_error(err) && plugin_of(err).empty())
    return make_error(static_cast<errc>(err.code()), id, detail_of(err));
  if (!is_troupe_error(err))
    return make_error(errc::plugin_failed, id, describe(err));
  return err;
}

using clock_type = std::chrono::steady_clock;

/// An invocation waiting for the answer to its outgoing call.
struct waiting_call {
  caf::typed_response_promise<payload> promise;
  clock_type::time_point started;
  std::string target; ///< The plugin it waits on, for error messages.
};

class plugin_host final : public plugin_actor::base {
public:
  plugin_host(caf::actor_config& cfg, std::string id, std::unique_ptr<plugin> impl,
              std::shared_ptr<shared_state> shared, host_options opts)
    : plugin_actor::base(cfg), id_(std::move(id)), impl_(std::move(impl)),
      shared_(std::move(shared)), manager_(std::move(opts.manager)),
      checkpoints_(std::move(opts.checkpoints)), checkpoint_every_(opts.checkpoint_every) {
  }

  const char* name() const override { return "troupe.plugin_host"; }

  void on_exit() override {
    fail_waiting(crash_reason_.empty() ? "its actor stopped" : "it crashed: " + crash_reason_);
  }

  behavior_type make_behavior() override {
    return {
      [this](load_atom, plugin_config& cfg) -> caf::result<plugin_state> {
        return on_load(std::move(cfg));
      },
      [this](init_atom) { return step(lifecycle_op::init, &plugin::init); },
      [this](start_atom) { return step(lifecycle_op::start, &plugin::start); },
      [this](pause_atom) { return step(lifecycle_op::pause, &plugin::pause); },
      [this](resume_atom) { return step(lifecycle_op::resume, &plugin::resume); },
      [this](stop_atom) { return step(lifecycle_op::stop, &plugin::stop); },
      [this](unload_atom) { return on_unload(); },
      [this](execute_atom, payload& in) -> caf::result<payload> { return on_execute(std::move(in)); },
      [this](tools_atom) { return tools_.list(); },
      [this](call_tool_atom, std::string& tool, payload& args) -> caf::result<payload> {
        return on_call_tool(std::move(tool), std::move(args));
      },
      [this](function_atom, std::string& fn, payload& args) -> caf::result<payload> {
        return on_function(std::move(fn), std::move(args));
      },
      [this](export_atom) -> caf::result<payload> { return on_export(); },
      [this](import_atom, payload& state) -> caf::result<plugin_state> {
        return on_import(std::move(state));
      },
      [this](health_atom) { return on_health(); },
      [this](stats_atom) { return on_stats(); },
      [this](metadata_atom) { return current_metadata(); },
      [this](list_atom) { return plugin_info{current_metadata(), state_}; },
    };
  }

private:
  plugin_metadata current_metadata() {
    auto md = guarded(id_, "metadata", [&]() -> caf::expected<plugin_metadata> {
      return impl_->metadata();
    });
    plugin_metadata result = md ? std::move(*md) : plugin_metadata{};
    result.id = id_;
    if (context_)
      merge_dependencies(result, context_->config().dependencies);
    return result;
  }

  void enter(plugin_state next) {
    if (next.code == state_.code && next.reason == state_.reason)
      return;
    if (next.code == state_code::error)
      spdlog::warn("plugin '{}': {} -> {}", id_, to_string(state_), to_string(next));
    else
      spdlog::debug("plugin '{}': {} -> {}", id_, to_string(state_), to_string(next));
    state_ = std::move(next);
  }

  /// Checks a step against the state machine; returns the target or an invalid_state error.
  caf::expected<lifecycle_position> check(lifecycle_op op) {
    std::string why;
    auto next = next_position({state_.code, initialized_}, op, &why);
    if (!next)
      return make_error(errc::invalid_state, id_, why);
    return *next;
  }

  /// Crashes the plugin for a fatal error: the actor ends (its supervisor restarts it) once the
  /// current message is answered, with errc::crashed naming the plugin and the reason. Other
  /// errors are returned as they are.
  caf::error crash_if_fatal(caf::error err) {
    if (!is_fatal(err))
      return err;
    if (crash_reason_.empty()) {
      crash_reason_ = detail_of(err);
      spdlog::warn("plugin '{}': crashed: {}", id_, crash_reason_);
      quit(make_error(errc::crashed, id_, crash_reason_));
    }
    return make_error(errc::crashed, id_, crash_reason_);
  }

  /// Records a failing hook: the plugin goes to Error and the caller gets the error.
  caf::error fail(lifecycle_op op, caf::error err) {
    err = attribute(std::move(err), id_);
    if (is_fatal(err))
      return crash_if_fatal(std::move(err));
    enter({state_code::error, std::string(to_string(op)) + " failed: " + detail_of(err)});
    return err;
  }

  caf::result<plugin_state> on_load(plugin_config cfg) {
    auto next = check(lifecycle_op::load);
    if (!next)
      return std::move(next.error());
    if (cfg.id.empty())
      cfg.id = id_;
    if (cfg.id != id_)
      return make_error(errc::bad_input, id_,
                        "load config is for plugin '" + cfg.id + "', not this one");
    context_ = std::make_unique<plugin_context>(std::move(cfg), shared_);
    enter({state_code::loading, {}});
    if (auto err = guarded(id_, "load", [&] { return impl_->load(*context_); }))
      return fail(lifecycle_op::load, std::move(err));
    initialized_ = next->initialized;
    auto keeps = guarded(id_, "keeps_state", [&]() -> caf::expected<bool> {
      return impl_->keeps_state();
    });
    keeps_state_ = checkpoints_ && keeps && *keeps;
    enter({next->code, {}});
    refresh_tools();
    return state_;
  }

  /// Re-reads the plugin's tools (they may depend on what load or init found).
  void refresh_tools() {
    auto tools = guarded(id_, "tools", [&]() -> caf::expected<std::vector<tool_spec>> {
      return impl_->tools();
    });
    if (tools)
      tools_.reset(id_, *tools);
    else
      spdlog::warn("plugin '{}': listing its tools failed: {}", id_, describe(tools.error()));
  }

  caf::result<plugin_state> step(lifecycle_op op, caf::error (plugin::*hook)(plugin_context&)) {
    auto next = check(op);
    if (!next)
      return std::move(next.error());
    if (auto err = guarded(id_, to_string(op), [&] { return ((*impl_).*hook)(*context_); }))
      return fail(op, std::move(err));
    if (op == lifecycle_op::init)
      if (auto err = restore_checkpoint())
        return fail(op, std::move(err));
    initialized_ = next->initialized;
    enter({next->code, {}});
    if (op == lifecycle_op::init)
      refresh_tools();
    if (op == lifecycle_op::stop)
      save_checkpoint();
    return state_;
  }

  caf::result<payload> on_export() {
    if (!context_ || state_.code == state_code::error || state_.code == state_code::unloaded)
      return make_error(errc::invalid_state, id_, "cannot export state while " + to_string(state_));
    auto state = take_checkpoint();
    if (!state)
      return std::move(state.error());
    return std::move(*state);
  }

  /// The plugin's checkpoint now; an error names the plugin (and a fatal one crashes it).
  caf::expected<payload> take_checkpoint() {
    auto state = guarded(id_, "checkpoint", [&]() -> caf::expected<payload> {
      return impl_->checkpoint(*context_);
    });
    if (!state)
      return crash_if_fatal(attribute(std::move(state.error()), id_));
    return state;
  }

  caf::result<plugin_state> on_import(payload state) {
    if (!context_ || state_.code != state_code::loaded)
      return make_error(errc::invalid_state, id_,
                        "can import state only while Loaded, not " + to_string(state_));
    if (auto err = guarded(id_, "restore", [&] { return impl_->restore(*context_, state); }))
      return crash_if_fatal(attribute(std::move(err), id_));
    return state_;
  }

  /// After init: hands the plugin the checkpoint an earlier (crashed) instance left.
  caf::error restore_checkpoint() {
    if (!keeps_state_)
      return {};
    auto saved = checkpoints_->find(id_);
    if (!saved)
      return {};
    if (auto err = guarded(id_, "restore", [&] { return impl_->restore(*context_, *saved); }))
      return make_error(is_fatal(err) ? errc::fatal : errc::plugin_failed, id_,
                        "restoring its checkpoint failed: " + detail_of(err));
    spdlog::info("plugin '{}': state restored from its last checkpoint", id_);
    return {};
  }

  /// Saves the plugin's state (if it keeps any) where a restarted instance finds it.
  void save_checkpoint() {
    if (!keeps_state_)
      return;
    calls_since_checkpoint_ = 0;
    auto state = take_checkpoint();
    if (state)
      checkpoints_->save(id_, std::move(*state));
    else if (crash_reason_.empty())
      spdlog::warn("plugin '{}': checkpoint failed (the previous one stays): {}", id_,
                   describe(state.error()));
  }

  caf::result<plugin_state> on_unload() {
    auto next = check(lifecycle_op::unload);
    if (!next)
      return std::move(next.error());
    fail_waiting("it was unloaded");
    tools_.clear();
    if (checkpoints_)
      checkpoints_->erase(id_); // an orderly unload: the next load starts afresh
    auto err = guarded(id_, "unload", [&] { return impl_->unload(*context_); });
    // Unload always ends Unloaded: the plugin is released whatever its hook said.
    initialized_ = false;
    enter({state_code::unloaded, {}});
    context_.reset();
    if (err) {
      err = attribute(std::move(err), id_);
      spdlog::warn("plugin '{}': unload hook failed: {}", id_, describe(err));
      return err;
    }
    return state_;
  }

  caf::result<payload> on_execute(payload in) {
    if (state_.code != state_code::running) {
      stats_.record_rejected();
      return make_error(errc::invalid_state, id_,
                        "cannot execute while " + to_string(state_) + ": start it first");
    }
    return invoke({invocation::kind::execute, {}, std::move(in)});
  }

  caf::result<payload> on_call_tool(std::string tool, payload args) {
    if (state_.code != state_code::running) {
      stats_.record_rejected();
      return make_error(errc::invalid_state, id_,
                        "cannot call tool '" + tool + "' while " + to_string(state_));
    }
    if (auto err = tools_.check(tool, args)) {
      stats_.record_rejected();
      return err;
    }
    return invoke({invocation::kind::tool, std::move(tool), std::move(args)});
  }

  caf::result<payload> on_function(std::string fn, payload args) {
    auto code = state_.code;
    if (code != state_code::loaded && code != state_code::running && code != state_code::paused) {
      stats_.record_rejected();
      return make_error(errc::invalid_state, id_,
                        "cannot call function '" + fn + "' while " + to_string(state_));
    }
    return invoke({invocation::kind::function, std::move(fn), std::move(args)});
  }

  /// Runs an invocation; answers at once if it finishes, else through a promise once the
  /// outgoing calls it waits on are answered.
  caf::result<payload> invoke(const invocation& inv) {
    auto started = clock_type::now();
    auto step = guarded(id_, "execute", [&]() -> caf::expected<call_step> {
      return impl_->begin_call(*context_, inv);
    });
    if (!step)
      return finish(started, std::move(step.error()));
    if (!step->call)
      return finish(started, std::move(step->result));
    auto promise = make_response_promise<payload>();
    drive(std::move(*step), waiting_call{promise, started, {}});
    return promise;
  }

  /// Records a finished invocation and returns its answer with the plugin named in any error.
  caf::expected<payload> finish(clock_type::time_point started, caf::expected<payload> out) {
    auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - started);
    stats_.record(static_cast<std::uint64_t>(nanos.count()), !out);
    if (!out)
      return crash_if_fatal(attribute(std::move(out.error()), id_));
    if (keeps_state_ && checkpoint_every_ > 0 && ++calls_since_checkpoint_ >= checkpoint_every_)
      save_checkpoint();
    return out;
  }

  /// Makes a suspended step's outgoing call through the manager, or answers the caller once
  /// the step has finished.
  void drive(call_step step, waiting_call w) {
    while (step.call && !manager_)
      step = resume_with(step.ticket, make_error(errc::unavailable, step.call->target,
                                                 "this plugin's host has no manager to call"));
    if (!step.call) {
      deliver(w.promise, finish(w.started, std::move(step.result)));
      return;
    }
    auto ticket = step.ticket;
    auto call = std::move(*step.call);
    w.target = call.target;
    waiting_[ticket] = std::move(w);
    request(manager_, call.timeout, execute_atom::value, call.target, std::move(call.input))
      .then([this, ticket](payload& out) { on_answer(ticket, std::move(out)); },
            [this, ticket, target = call.target, timeout = call.timeout](caf::error& err) {
              if (err == caf::sec::request_timeout)
                err = make_error(errc::timeout, target,
                                 "no answer within " + std::to_string(timeout.count()) + " ms");
              on_answer(ticket, std::move(err));
            });
  }

  void on_answer(std::uint64_t ticket, caf::expected<payload> answer) {
    auto i = waiting_.find(ticket);
    if (i == waiting_.end())
      return; // answered already (unloaded meanwhile)
    auto w = std::move(i->second);
    waiting_.erase(i);
    drive(resume_with(ticket, std::move(answer)), std::move(w));
  }

  call_step resume_with(std::uint64_t ticket, caf::expected<payload> answer) {
    auto step = guarded(id_, "execute", [&]() -> caf::expected<call_step> {
      return impl_->continue_call(*context_, ticket, std::move(answer));
    });
    return step ? std::move(*step) : call_step::done(std::move(step.error()));
  }

  /// Answers every waiting invocation with an error and tells the plugin to drop them.
  void fail_waiting(const std::string& why) {
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& [ticket, w] : waiting) {
      if (context_)
        guarded(id_, "abandon", [&]() -> caf::error {
          impl_->abandon_call(*context_, ticket);
          return {};
        });
      deliver(w.promise, finish(w.started, make_error(errc::unavailable, id_,
                                                      "call waiting on plugin '" + w.target
                                                        + "' was dropped: " + why)));
    }
  }

  plugin_health on_health() {
    plugin_health h{id_, false, state_, {}};
    switch (state_.code) {
      case state_code::loaded:
      case state_code::running:
      case state_code::paused: {
        auto said = guarded(id_, "health_check", [&] { return impl_->health_check(*context_); });
        h.healthy = static_cast<bool>(said);
        h.detail = said ? *said
                        : describe(crash_if_fatal(attribute(std::move(said.error()), id_)));
        break;
      }
      case state_code::error:
        h.detail = state_.reason;
        break;
      default:
        h.detail = "not loaded";
    }
    return h;
  }

  plugin_stats on_stats() {
    plugin_stats s;
    s.id = id_;
    s.calls = stats_.calls();
    s.failures = stats_.failures();
    s.mean_us = stats_.mean_us();
    s.p50_us = stats_.percentile_us(0.50);
    s.p99_us = stats_.percentile_us(0.99);
    s.state = state_;
    if (context_) {
      auto counters = guarded(id_, "counters",
                              [&]() -> caf::expected<std::map<std::string, std::int64_t>> {
                                return impl_->counters();
                              });
      if (counters)
        s.counters = std::move(*counters);
    }
    return s;
  }

  std::string id_;
  std::unique_ptr<plugin> impl_;
  std::shared_ptr<shared_state> shared_;
  manager_actor manager_;
  std::shared_ptr<checkpoint_store> checkpoints_;
  std::size_t checkpoint_every_;
  std::size_t calls_since_checkpoint_ = 0;
  bool keeps_state_ = false;
  std::string crash_reason_; ///< Set once the plugin crashed; the actor is ending.
  std::unique_ptr<plugin_context> context_;
  tool_catalog tools_;
  std::unordered_map<std::uint64_t, waiting_call> waiting_;
  plugin_state state_;
  bool initialized_ = false;
  latency_stats stats_;
};

} // namespace

plugin_actor spawn_plugin_host(caf::actor_system& sys, std::string id,
                               std::unique_ptr<plugin> impl, std::shared_ptr<shared_state> shared,
                               host_options opts) {
  return sys.spawn<plugin_host>(std::move(id), std::move(impl), std::move(shared), std::move(opts));
}

plugin_actor spawn_plugin_host(caf::actor_system& sys, std::string id,
                               std::unique_ptr<plugin> impl, std::shared_ptr<shared_state> shared,
                               manager_actor manager) {
  host_options opts;
  opts.manager = std::move(manager);
  return spawn_plugin_host(sys, std::move(id), std::move(impl), std::move(shared),
                           std::move(opts));
}

} // namespace troupe
