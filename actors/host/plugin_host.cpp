#include "actors/host/plugin_host_impl.hpp"

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "messages/errors.hpp"

namespace troupe::detail {

plugin_host::plugin_host(caf::actor_config& cfg, std::string id, std::unique_ptr<plugin> impl,
                         std::shared_ptr<shared_state> shared, host_options opts)
  : host_actor::base(cfg), id_(std::move(id)), shared_(std::move(shared)), opts_(std::move(opts)) {
  last_metadata_.id = id_;
  if (!impl) { // a successor: it holds calls until it is revived
    mode_ = host_mode::holding;
    reason_ = "waiting for its plugin to be built";
    return;
  }
  instance_ = std::make_unique<plugin_instance>(id_, std::move(impl), shared_, opts_.checkpoints,
                                                opts_.group.checkpoint_every);
}

void plugin_host::on_exit() {
  auto why = reason_.empty()                 ? std::string("its actor stopped")
             : mode_ == host_mode::crashed ? "it crashed: " + reason_
                                           : reason_;
  fail_waiting(why);
  fail_held(make_error(errc::unavailable, id_, "its actor stopped: " + why));
  instance_.reset();
  previous_.reset();
  spare_.reset();
}

plugin_host::behavior_type plugin_host::make_behavior() {
  // While forwarding, every message goes to the successor as it is.
  auto fwd = [this] { return mode_ == host_mode::forwarding; };
  return {
    [=](load_atom a, plugin_config& cfg) -> caf::result<plugin_state> {
      return fwd() ? delegate(successor_, a, std::move(cfg)) : on_load(std::move(cfg));
    },
    [=](init_atom a) -> caf::result<plugin_state> {
      return fwd() ? delegate(successor_, a) : on_step(lifecycle_op::init);
    },
    [=](start_atom a) -> caf::result<plugin_state> {
      return fwd() ? delegate(successor_, a) : on_step(lifecycle_op::start);
    },
    [=](pause_atom a) -> caf::result<plugin_state> {
      return fwd() ? delegate(successor_, a) : on_step(lifecycle_op::pause);
    },
    [=](resume_atom a) -> caf::result<plugin_state> {
      return fwd() ? delegate(successor_, a) : on_step(lifecycle_op::resume);
    },
    [=](stop_atom a) -> caf::result<plugin_state> {
      return fwd() ? delegate(successor_, a) : on_step(lifecycle_op::stop);
    },
    [=](unload_atom a) -> caf::result<plugin_state> {
      return fwd() ? delegate(successor_, a) : on_unload();
    },
    [=](execute_atom a, payload& in) -> caf::result<payload> {
      if (fwd())
        return delegate(successor_, a, std::move(in));
      return on_call({invocation::kind::execute, {}, std::move(in)});
    },
    [=](execute_atom a, std::vector<payload>& batch) -> caf::result<std::vector<call_outcome>> {
      if (fwd())
        return delegate(successor_, a, std::move(batch));
      return on_batch(std::move(batch));
    },
    [=](call_tool_atom a, std::string& tool, payload& args) -> caf::result<payload> {
      if (fwd())
        return delegate(successor_, a, std::move(tool), std::move(args));
      return on_call({invocation::kind::tool, std::move(tool), std::move(args)});
    },
    [=](function_atom a, std::string& fn, payload& args) -> caf::result<payload> {
      if (fwd())
        return delegate(successor_, a, std::move(fn), std::move(args));
      return on_call({invocation::kind::function, std::move(fn), std::move(args)});
    },
    [=](hook_atom a, std::string& point, payload& args) -> caf::result<payload> {
      if (fwd())
        return delegate(successor_, a, std::move(point), std::move(args));
      return on_call({invocation::kind::hook, std::move(point), std::move(args)});
    },
    [=](tools_atom a) -> caf::result<std::vector<tool_info>> {
      return fwd() ? delegate(successor_, a) : caf::result<std::vector<tool_info>>(on_tools());
    },
    [=](export_atom a) -> caf::result<payload> {
      return fwd() ? delegate(successor_, a) : on_export();
    },
    [=](import_atom a, payload& state) -> caf::result<plugin_state> {
      return fwd() ? delegate(successor_, a, std::move(state)) : on_import(std::move(state));
    },
    [=](health_atom a) -> caf::result<plugin_health> {
      return fwd() ? delegate(successor_, a) : caf::result<plugin_health>(on_health());
    },
    [=](stats_atom a) -> caf::result<plugin_stats> {
      return fwd() ? delegate(successor_, a) : caf::result<plugin_stats>(on_stats());
    },
    [=](metadata_atom a) -> caf::result<plugin_metadata> {
      return fwd() ? delegate(successor_, a) : caf::result<plugin_metadata>(on_metadata());
    },
    [=](list_atom a) -> caf::result<plugin_info> {
      return fwd() ? delegate(successor_, a) : caf::result<plugin_info>(on_list());
    },
    [=](hold_atom, std::string& why) { on_hold(why); },
    [=](revive_atom, plugin_state& target, bool initialized) -> caf::result<plugin_state> {
      return on_revive(std::move(target), initialized);
    },
    [=](retire_atom, std::string& why) { on_retire(why); },
    [=](forward_atom, plugin_actor& successor) { on_forward(std::move(successor)); },
    [=](reload_atom) -> caf::result<plugin_metadata> { return on_reload(); },
    [=](describe_atom a) -> caf::result<plugin_metadata, std::vector<tool_info>> {
      if (fwd())
        return delegate(successor_, a);
      return {on_metadata(), on_tools()};
    },
    [=](expire_atom) { expire_held(); },
    [=](barrier_atom) { on_barrier(); },
    [=](spare_atom, spare_instance& spare) { on_spare(std::move(spare)); },
  };
}

caf::error plugin_host::refuse_step(lifecycle_op op) const {
  if (mode_ == host_mode::serving && instance_)
    return {};
  auto what = std::string("cannot ") + to_string(op) + " while ";
  if (mode_ == host_mode::retired)
    return make_error(errc::unavailable, id_, what + "stopped for good: " + reason_);
  return make_error(errc::invalid_state, id_, what + to_string(state_when_away()));
}

caf::result<plugin_state> plugin_host::on_load(plugin_config cfg) {
  if (auto err = refuse_step(lifecycle_op::load))
    return err;
  if (cfg.id.empty())
    cfg.id = id_;
  auto copy = cfg;
  auto out = instance_->load(std::move(cfg));
  if (!out)
    return crash_if_fatal(std::move(out.error()));
  config_ = std::move(copy);
  return *out;
}

caf::result<plugin_state> plugin_host::on_step(lifecycle_op op) {
  if (auto err = refuse_step(op))
    return err;
  auto out = instance_->step(op);
  if (!out)
    return crash_if_fatal(std::move(out.error()));
  return *out;
}

caf::result<plugin_state> plugin_host::on_unload() {
  if (auto err = refuse_step(lifecycle_op::unload))
    return err;
  if (next_position(instance_->position(), lifecycle_op::unload))
    fail_waiting("it was unloaded");
  auto out = instance_->unload();
  if (!out)
    return crash_if_fatal(std::move(out.error()));
  return *out;
}

caf::result<payload> plugin_host::on_export() {
  if (!instance_)
    return make_error(errc::invalid_state, id_,
                      "cannot export state while " + to_string(state_when_away()));
  auto out = instance_->export_state();
  if (!out)
    return crash_if_fatal(std::move(out.error()));
  return std::move(*out);
}

caf::result<plugin_state> plugin_host::on_import(payload state) {
  if (auto err = refuse_step(lifecycle_op::load))
    return make_error(errc::invalid_state, id_,
                      "can import state only while Loaded, not " + to_string(state_when_away()));
  auto out = instance_->import_state(state);
  if (!out)
    return crash_if_fatal(std::move(out.error()));
  return *out;
}

plugin_state plugin_host::state_when_away() const {
  if (instance_)
    return instance_->state();
  switch (mode_) {
    case host_mode::retired: return {state_code::error, "stopped for good: " + reason_};
    case host_mode::holding: return {state_code::error, reason_};
    default: return {state_code::error, "crashed: " + reason_};
  }
}

plugin_health plugin_host::on_health() {
  if (!instance_ || mode_ != host_mode::serving) {
    auto s = state_when_away();
    return {id_, false, s, s.reason};
  }
  auto h = instance_->health();
  if (!h) {
    auto err = crash_if_fatal(std::move(h.error()));
    return {id_, false, state_when_away(), describe(err)};
  }
  return std::move(*h);
}

plugin_stats plugin_host::on_stats() {
  plugin_stats s;
  s.id = id_;
  s.calls = stats_.calls();
  s.failures = stats_.failures();
  s.mean_us = stats_.mean_us();
  s.p50_us = stats_.percentile_us(0.50);
  s.p99_us = stats_.percentile_us(0.99);
  s.state = state_when_away();
  if (instance_)
    s.counters = instance_->counters();
  s.in_flight = waiting_.size();
  s.held = held_.size();
  s.latency_buckets.assign(stats_.buckets().begin(), stats_.buckets().end());
  s.latency_sum_us = stats_.sum_us();
  return s;
}

plugin_metadata plugin_host::on_metadata() {
  if (instance_)
    last_metadata_ = instance_->metadata();
  return last_metadata_;
}

plugin_info plugin_host::on_list() {
  return {on_metadata(), state_when_away()};
}

std::vector<tool_info> plugin_host::on_tools() {
  if (!instance_ || mode_ != host_mode::serving)
    return {};
  return instance_->tools();
}

} // namespace troupe::detail

namespace troupe {

host_actor spawn_plugin_host(caf::actor_system& sys, std::string id, std::unique_ptr<plugin> impl,
                             std::shared_ptr<shared_state> shared, host_options opts) {
  if (impl && !opts.detached) {
    try {
      opts.detached = is_blocking(impl->metadata());
    } catch (...) {
      // its metadata fails again at load, where the error is reported
    }
  }
  if (opts.detached)
    return sys.spawn<detail::plugin_host, caf::detached>(std::move(id), std::move(impl),
                                                         std::move(shared), std::move(opts));
  return sys.spawn<detail::plugin_host>(std::move(id), std::move(impl), std::move(shared),
                                        std::move(opts));
}

plugin_actor spawn_plugin_host(caf::actor_system& sys, std::string id,
                               std::unique_ptr<plugin> impl, std::shared_ptr<shared_state> shared,
                               manager_actor manager) {
  host_options opts;
  opts.manager = std::move(manager);
  return caf::actor_cast<plugin_actor>(
    spawn_plugin_host(sys, std::move(id), std::move(impl), std::move(shared), std::move(opts)));
}

} // namespace troupe
