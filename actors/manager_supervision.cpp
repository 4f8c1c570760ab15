// The manager's supervision: what happens when a plugin actor dies, hangs or fails its health
// checks. The supervision_tree decides; this file carries the decision out on the actors.

#include <spdlog/spdlog.h>

#include "actors/manager_impl.hpp"
#include "messages/errors.hpp"

namespace troupe::detail {

namespace {

bool normal_exit(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal || reason == caf::exit_reason::user_shutdown;
}

/// The lifecycle steps that bring a fresh (Unloaded) actor back to `reached`.
std::vector<lifecycle_op> steps_back_to(lifecycle_position reached) {
  std::vector<lifecycle_op> steps;
  if (reached.code == state_code::unloaded)
    return steps;
  steps.push_back(lifecycle_op::load);
  if (reached.initialized)
    steps.push_back(lifecycle_op::init);
  if (reached.code == state_code::running || reached.code == state_code::paused)
    steps.push_back(lifecycle_op::start);
  if (reached.code == state_code::paused)
    steps.push_back(lifecycle_op::pause);
  return steps;
}

} // namespace

std::string ms_text(std::chrono::nanoseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

void manager_impl::on_exit() {
  for (auto& [id, e] : entries_) {
    if (e->supervised && e->handle)
      anon_send_exit(e->handle, caf::exit_reason::user_shutdown);
    if (e->previous)
      anon_send_exit(e->previous, caf::exit_reason::user_shutdown);
    auto stopped = make_error(errc::unavailable, id, "the plugin manager stopped");
    fail_in_flight(e, stopped);
    fail_held(e, stopped);
  }
  entries_.clear();
  subscribers_.clear();
}

void manager_impl::on_down(const caf::down_msg& msg) {
  auto s = std::find_if(subscribers_.begin(), subscribers_.end(),
                        [&](const caf::actor& a) { return a.address() == msg.source; });
  if (s != subscribers_.end()) {
    subscribers_.erase(s);
    return;
  }
  for (auto& [id, e] : entries_) {
    if (e->handle && e->handle.address() == msg.source) {
      auto reason = is_troupe_error(msg.reason) ? detail_of(msg.reason) : describe(msg.reason);
      if (normal_exit(msg.reason))
        reason = "its actor exited (" + reason + ")";
      on_crash(e, reason, !normal_exit(msg.reason), false);
      return;
    }
  }
}

void manager_impl::take_down(const entry_ptr& e, const std::string& why, bool kill) {
  fail_in_flight(e, make_error(errc::crashed, e->config.id, why));
  if (e->handle) {
    demonitor(e->handle.address());
    if (kill)
      anon_send_exit(e->handle, caf::exit_reason::kill);
    e->handle = nullptr;
  }
  e->health_pending = false;
  e->health_failures = 0;
  e->healthy = true;
  run_drained(e); // a reload waited for calls that were just answered: it fails
}

void manager_impl::fail_in_flight(const entry_ptr& e, const caf::error& err) {
  auto flying = std::move(e->in_flight);
  e->in_flight.clear();
  for (auto& [ticket, promise] : flying)
    promise.deliver(err);
}

void manager_impl::run_drained(const entry_ptr& e) {
  if (!e->on_drained)
    return;
  auto drained = std::move(e->on_drained);
  e->on_drained = nullptr;
  drained();
}

void manager_impl::serve_again(const entry_ptr& e) {
  e->status = entry_status::up;
  e->down_reason.clear();
  e->last_progress = clock().now();
  e->answers_seen = e->answers;
  auto held = std::move(e->held);
  e->held.clear();
  for (auto& h : held)
    forward(e, std::move(h.call));
}

void manager_impl::on_crash(const entry_ptr& e, const std::string& reason, bool abnormal,
                            bool kill) {
  auto id = e->config.id;
  take_down(e, reason, kill);
  emit(abnormal ? event_kind::crashed : event_kind::stopped, id, reason);
  if (!e->supervised) {
    spdlog::warn("plugin '{}': actor terminated ({}); unregistered", id, reason);
    fail_held(e, make_error(errc::unavailable, id, reason));
    tools_.remove(id);
    entries_.erase(id);
    return;
  }
  e->status = entry_status::restarting;
  e->down_reason = reason;
  e->down_since = clock().now();
  auto plan = tree_.on_exit(id, abnormal, e->down_since);
  apply(plan, id, reason);
}

void manager_impl::apply(const restart_plan& plan, const std::string& crashed,
                         const std::string& reason) {
  for (const auto& group : plan.escalated) {
    const auto& spec = *find_group(opts_.supervision, group);
    emit(event_kind::escalated, "",
         "more than " + std::to_string(spec.intensity.max_restarts) + " restarts within "
           + ms_text(spec.intensity.within) + "; its plugins are stopped",
         group);
  }
  if (plan.gave_up)
    emit(event_kind::gave_up, "", "the root group exceeded its restart intensity: every plugin "
                                  "stays stopped", root_group);
  for (const auto& [id, why] : plan.removed)
    if (auto i = entries_.find(id); i != entries_.end())
      give_up(i->second, id == crashed ? reason + " (" + why + ")" : why);
  auto now = clock().now();
  for (const auto& id : plan.stop) {
    auto i = entries_.find(id);
    if (i == entries_.end() || i->second->status == entry_status::failed)
      continue;
    auto& e = i->second;
    auto why = "stopped with its group (" + plan.group + "): plugin '" + crashed + "' failed: "
               + reason;
    if (e->status == entry_status::up) {
      take_down(e, why, true);
      emit(event_kind::stopped, id, why);
      e->down_since = now;
    }
    e->status = entry_status::restarting;
    e->down_reason = why;
  }
  if (plan.restart.empty())
    return;
  auto batch = next_batch_++;
  for (const auto& id : plan.restart) {
    auto& e = entries_.at(id);
    e->restart_batch = batch;
    e->attempt = plan.attempt;
    e->backoff = plan.delay;
  }
  pending_batches_.emplace(batch, plan.restart);
  if (plan.delay.count() == 0)
    run_batch(batch);
  else
    delayed_send(this, plan.delay, restart_atom::value, batch);
}

void manager_impl::give_up(const entry_ptr& e, const std::string& reason) {
  take_down(e, reason, true);
  e->status = entry_status::failed;
  e->down_reason = reason;
  tools_.remove(e->config.id);
  fail_held(e, make_error(errc::unavailable, e->config.id, "stopped for good: " + reason));
  emit(event_kind::removed, e->config.id, reason);
}

void manager_impl::run_batch(std::uint64_t batch) {
  auto i = pending_batches_.find(batch);
  if (i == pending_batches_.end())
    return;
  auto ids = std::make_shared<std::vector<std::string>>(std::move(i->second));
  pending_batches_.erase(i);
  restart_next(std::move(ids), 0, batch);
}

void manager_impl::restart_next(std::shared_ptr<std::vector<std::string>> ids, std::size_t index,
                                std::uint64_t batch) {
  for (; index < ids->size(); ++index) {
    auto i = entries_.find((*ids)[index]);
    if (i == entries_.end())
      continue;
    auto e = i->second;
    if (e->restart_batch != batch || e->status != entry_status::restarting || e->handle)
      continue; // superseded by a later plan
    const auto& id = e->config.id;
    auto host = opts_.spawner->spawn(id, caf::actor_cast<manager_actor>(this),
                                     group_of(id).checkpoint_every);
    if (!host) {
      emit(event_kind::restart_failed, id, describe(host.error()));
      on_crash(e, "restart failed: " + describe(host.error()), true, false);
      continue;
    }
    e->handle = *host;
    e->bring_up_since = clock().now();
    monitor(*host);
    auto handle = *host;
    bring_up(e, steps_back_to(e->reached), 0,
             [this, e, handle, ids, index, batch](caf::error err) {
               if (e->handle == handle) { // else it went down meanwhile and was dealt with
                 if (err) {
                   emit(event_kind::restart_failed, e->config.id, describe(err));
                   on_crash(e, "restart failed: " + describe(err), true, true);
                 } else {
                   back_up(e);
                 }
               }
               restart_next(ids, index + 1, batch);
             });
    return;
  }
}

void manager_impl::bring_up(const entry_ptr& e, std::vector<lifecycle_op> steps,
                            std::size_t index, std::function<void(caf::error)> done) {
  step_through(e->handle, e->config, std::move(steps), index, std::move(done));
}

void manager_impl::step_through(plugin_actor handle, plugin_config cfg,
                                std::vector<lifecycle_op> steps, std::size_t index,
                                std::function<void(caf::error)> done) {
  if (index == steps.size()) {
    done({});
    return;
  }
  auto on_state = [this, handle, cfg, steps, index, done](plugin_state&) {
    step_through(handle, cfg, steps, index + 1, done);
  };
  auto on_error = [done](caf::error& err) { done(std::move(err)); };
  // No per-step timeout (each costs a wake-up of CAF's clock thread on the restart path): the
  // tick checks the whole bring-up against lifecycle_timeout instead.
  with_lifecycle_atom(steps[index], [&](auto atom) {
    if constexpr (std::is_same<decltype(atom), load_atom>::value)
      request(handle, caf::infinite, atom, cfg).then(on_state, on_error);
    else
      request(handle, caf::infinite, atom).then(on_state, on_error);
  });
}

void manager_impl::back_up(const entry_ptr& e) {
  ++e->restarts;
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(clock().now() - e->down_since);
  emit(event_kind::restarted, e->config.id,
       "serving again " + std::to_string(took.count()) + " us after it went down", {},
       e->attempt, e->backoff);
  serve_again(e);
}

void manager_impl::hold(const entry_ptr& e, routed_call call) {
  const auto& id = e->config.id;
  const auto& queue = group_of(id).queue;
  if (queue.fail_fast) {
    call.promise.deliver(make_error(errc::unavailable, id, "restarting (fail fast): "
                                                             + e->down_reason));
    return;
  }
  if (e->held.size() >= queue.capacity) {
    call.promise.deliver(make_error(errc::unavailable, id,
                                    "restarting, and its queue is full ("
                                      + std::to_string(queue.capacity)
                                      + " requests): " + e->down_reason));
    return;
  }
  e->held.push_back({std::move(call), clock().now() + queue.timeout});
}

void manager_impl::fail_held(const entry_ptr& e, const caf::error& err) {
  auto held = std::move(e->held);
  e->held.clear();
  for (auto& h : held)
    h.call.promise.deliver(err);
}

void manager_impl::expire_held(const entry_ptr& e, caf::actor_clock::time_point now) {
  while (!e->held.empty() && e->held.front().deadline <= now) {
    auto h = std::move(e->held.front());
    e->held.pop_front();
    h.call.promise.deliver(make_error(
      errc::timeout, e->config.id,
      "still restarting after " + ms_text(group_of(e->config.id).queue.timeout) + ": "
        + e->down_reason));
  }
}

const group_spec& manager_impl::group_of(const std::string& id) const {
  return tree_.group_of(id);
}

} // namespace troupe::detail
