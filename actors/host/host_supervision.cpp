// A host's supervision: its plugin object crashes, hangs or is taken down, while the host (the
// plugin's address) stays. It answers what was queued before a crash with crashed, holds what
// comes later, and carries out what the manager's supervision tree decided: revive, retire, or
// (after a hang) forward to a successor.

#include "actors/host/plugin_host_impl.hpp"

#include <caf/event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "messages/errors.hpp"

namespace troupe::detail {

namespace {

std::string ms_of(std::chrono::nanoseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

} // namespace

caf::error plugin_host::crash_if_fatal(caf::error err) {
  return is_fatal(err) ? crash(detail_of(err)) : err;
}

caf::error plugin_host::crash(const std::string& reason) {
  // A plugin object crashes while serving, or while a reload drains its suspended calls (the
  // host then holds new calls, but the object is still there).
  if (!instance_ || mode_ == host_mode::crashed)
    return make_error(errc::crashed, id_, reason_.empty() ? reason : reason_);
  spdlog::warn("plugin '{}': crashed: {}", id_, reason);
  reason_ = reason;
  mode_ = host_mode::crashed;
  auto err = make_error(errc::crashed, id_, reason);
  if (!opts_.rebuild) { // unsupervised: the actor ends and its monitor learns why
    quit(err);
    return err;
  }
  // Everything already queued is answered crashed; what comes after the barrier is held. The
  // manager hears of it first: it decides while the old plugin object is torn down here.
  send(this, barrier_atom::value);
  if (opts_.manager)
    send(caf::actor_cast<host_report_actor>(opts_.manager), crashed_atom::value, id_, reason);
  drop_instance("it crashed: " + reason);
  end_probation();
  spare_wanted_ = opts_.group.standby;
  return err;
}

void plugin_host::drop_instance(const std::string& why) {
  fail_waiting(why);
  instance_.reset();
  staged_.reset();
  if (on_drained_) { // a reload waited for the calls just answered: it fails
    auto drained = std::move(on_drained_);
    on_drained_ = nullptr;
    drained();
  }
}

void plugin_host::on_barrier() {
  if (mode_ == host_mode::crashed) {
    mode_ = host_mode::holding;
    return;
  }
  if (!releasing_)
    return;
  releasing_ = false;
  if (mode_ == host_mode::holding && instance_) {
    mode_ = host_mode::serving;
    reason_.clear();
    serve_held();
    request_spare();
  }
}

void plugin_host::request_spare() {
  if (!spare_wanted_ || spare_ || spare_pending_ || !opts_.rebuild
      || mode_ != host_mode::serving)
    return;
  spare_pending_ = true;
  auto host = caf::actor_cast<host_actor>(this);
  // Built on another worker: the plugin's calls go on meanwhile.
  home_system().spawn([host, rebuild = opts_.rebuild, id = id_, shared = shared_,
                       checkpoints = opts_.checkpoints, every = opts_.group.checkpoint_every,
                       cfg = config_, generation = generation_](caf::event_based_actor* self) {
    spare_instance spare{nullptr, generation};
    if (auto impl = rebuild()) {
      auto built = std::make_shared<plugin_instance>(id, std::move(*impl), shared, checkpoints,
                                                     every);
      if (built->load(cfg))
        spare.instance = std::move(built);
    }
    self->send(host, spare_atom::value, std::move(spare));
    self->quit();
  });
}

void plugin_host::on_spare(spare_instance spare) {
  spare_pending_ = false;
  if (!spare.instance || spare.generation != generation_ || spare_ || !spare_wanted_)
    return; // failed, stale (reloaded meanwhile) or not wanted any more
  spare_ = std::make_unique<plugin_instance>(std::move(*spare.instance));
}

void plugin_host::on_hang_ended() {
  auto verdict = opts_.probe ? opts_.probe->verdict() : std::string{};
  reason_ = verdict.empty() ? "its call hung and the watchdog gave up on it" : verdict;
  spdlog::warn("plugin '{}': the hung call returned; a successor serves: {}", id_, reason_);
  mode_ = host_mode::hung;
  drop_instance(reason_);
  end_probation();
}

void plugin_host::on_hold(const std::string& why) {
  if (mode_ == host_mode::forwarding || mode_ == host_mode::hung)
    return;
  reason_ = why;
  if (mode_ == host_mode::crashed)
    return; // the barrier switches to holding
  if (instance_)
    drop_instance(why);
  end_probation();
  mode_ = host_mode::holding;
}

caf::expected<std::unique_ptr<plugin_instance>> plugin_host::build(lifecycle_position target,
                                                                   bool use_spare) {
  if (use_spare && spare_ && target.code != state_code::unloaded) {
    auto fresh = std::move(spare_); // loaded already: it only needs init and start
    if (fresh->step_to(target))
      return fresh;
    // The spare could not be brought up: build afresh, as without one.
  }
  auto impl = opts_.rebuild ? opts_.rebuild()
                            : caf::expected<std::unique_ptr<plugin>>{
                              make_error(errc::invalid_state, id_, "no factory to build it again")};
  if (!impl)
    return std::move(impl.error());
  auto fresh = std::make_unique<plugin_instance>(id_, std::move(*impl), shared_,
                                                 opts_.checkpoints, opts_.group.checkpoint_every);
  if (target.code == state_code::unloaded)
    return fresh;
  auto at = fresh->load(config_);
  if (at)
    at = fresh->step_to(target);
  if (!at)
    return std::move(at.error());
  return fresh;
}

caf::result<plugin_state> plugin_host::on_revive(plugin_state target, bool initialized) {
  if (mode_ == host_mode::forwarding || mode_ == host_mode::hung)
    return make_error(errc::unavailable, id_, "this host was retired after a hang: " + reason_);
  if (instance_ && (mode_ == host_mode::serving || releasing_))
    return instance_->state(); // revived already
  auto built = build({target.code, initialized}, true);
  if (!built)
    return std::move(built.error());
  instance_ = std::move(*built);
  // The held calls run after this answer (a crash among them is then news to the manager, not
  // part of the restart); calls arriving meanwhile queue behind them.
  releasing_ = true;
  send(this, barrier_atom::value);
  return instance_->state();
}

void plugin_host::on_retire(const std::string& why) {
  if (instance_)
    drop_instance(why);
  end_probation();
  if (mode_ == host_mode::forwarding)
    return;
  mode_ = host_mode::retired;
  reason_ = why;
  fail_held(make_error(errc::unavailable, id_, "stopped for good: " + why));
}

void plugin_host::on_forward(plugin_actor successor) {
  successor_ = caf::actor_cast<host_actor>(successor);
  mode_ = host_mode::forwarding;
  if (instance_)
    drop_instance(reason_);
  auto held = std::move(held_);
  held_.clear();
  for (auto& h : held) {
    switch (h.inv.what) {
      case invocation::kind::execute:
        h.promise.delegate(successor_, execute_atom::value, std::move(h.inv.input));
        break;
      case invocation::kind::tool:
        h.promise.delegate(successor_, call_tool_atom::value, std::move(h.inv.name),
                           std::move(h.inv.input));
        break;
      case invocation::kind::function:
        h.promise.delegate(successor_, function_atom::value, std::move(h.inv.name),
                           std::move(h.inv.input));
        break;
      case invocation::kind::hook:
        h.promise.delegate(successor_, hook_atom::value, std::move(h.inv.name),
                           std::move(h.inv.input));
        break;
    }
  }
}

void plugin_host::hold(invocation inv, caf::typed_response_promise<payload> promise) {
  const auto& queue = opts_.group.queue;
  if (queue.fail_fast && !releasing_) {
    promise.deliver(make_error(errc::unavailable, id_, "restarting (fail fast): " + reason_));
    return;
  }
  if (held_.size() >= queue.capacity) {
    promise.deliver(make_error(errc::unavailable, id_,
                               "restarting, and its queue is full ("
                                 + std::to_string(queue.capacity) + " requests): " + reason_));
    return;
  }
  held_.push_back({std::move(inv), std::move(promise),
                   std::chrono::steady_clock::now() + queue.timeout});
  // A supervised host's manager sends `expire` on its tick while the plugin is down (no timer
  // here: each would wake CAF's clock thread on the restart path); an unsupervised one has none.
  if (!opts_.rebuild && !expiry_scheduled_) {
    expiry_scheduled_ = true;
    delayed_send(this, queue.timeout, expire_atom::value);
  }
}

void plugin_host::expire_held() {
  expiry_scheduled_ = false;
  auto now = std::chrono::steady_clock::now();
  while (!held_.empty() && held_.front().deadline <= now) {
    auto h = std::move(held_.front());
    held_.pop_front();
    h.promise.deliver(make_error(errc::timeout, id_,
                                 "still restarting after " + ms_of(opts_.group.queue.timeout)
                                   + ": " + reason_));
  }
  if (!held_.empty() && !opts_.rebuild) {
    expiry_scheduled_ = true;
    delayed_send(this, held_.front().deadline - now, expire_atom::value);
  }
}

void plugin_host::fail_held(const caf::error& err) {
  auto held = std::move(held_);
  held_.clear();
  for (auto& h : held)
    h.promise.deliver(err);
}

void plugin_host::serve_held() {
  auto held = std::move(held_);
  held_.clear();
  for (auto& h : held) {
    if (mode_ == host_mode::serving)
      run_held(std::move(h.inv), std::move(h.promise));
    else if (mode_ == host_mode::holding) // a swap began again: keep the order
      held_.push_back(std::move(h));
    else
      h.promise.deliver(make_error(errc::crashed, id_, reason_));
  }
}

} // namespace troupe::detail
