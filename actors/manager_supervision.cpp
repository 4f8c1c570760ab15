// The manager's supervision: what happens when a plugin crashes, hangs or fails its health checks.
// The supervision_tree decides; the plugin's host carries the decision out (hold, revive, retire),
// since a call never passes through here. A host that hung or died gets a successor.

#include <spdlog/spdlog.h>

#include "actors/plugin_directory.hpp"
#include "actors/manager_impl.hpp"
#include "messages/errors.hpp"

namespace troupe::detail {

namespace {

bool normal_exit(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal || reason == caf::exit_reason::user_shutdown;
}

} // namespace

std::string ms_text(std::chrono::nanoseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

void manager_impl::on_exit() {
  for (auto& [id, e] : entries_)
    if (e->supervised && e->handle)
      anon_send_exit(e->handle, caf::exit_reason::user_shutdown);
  if (opts_.directory)
    opts_.directory->clear();
  deadlines_.clear();
  entries_.clear();
  subscribers_.clear();
  cluster_member_ = nullptr;
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
      auto entry = e;
      // A supervised plugin's host ended (killed from outside): it gets a successor first.
      if (entry->supervised && !replace_host(entry, reason))
        return;
      on_crash(entry, reason, !normal_exit(msg.reason));
      return;
    }
  }
}

void manager_impl::on_host_crashed(const std::string& id, const std::string& reason) {
  auto i = entries_.find(id);
  if (i == entries_.end())
    return;
  auto e = i->second;
  if (!e->handle || e->handle.address() != current_sender()->address())
    return; // a host already replaced after a hang
  if (e->status != entry_status::up)
    return; // already down (stopped with its group meanwhile): its plan stands
  on_crash(e, reason, true);
}

bool manager_impl::replace_host(const entry_ptr& e, const std::string& reason) {
  const auto& id = e->config.id;
  auto successor = opts_.spawner->spawn_successor(id, e->config.group,
                                                  caf::actor_cast<manager_actor>(this));
  if (!successor) {
    emit(event_kind::restart_failed, id, describe(successor.error()));
    give_up(e, reason + "; no successor host: " + describe(successor.error()));
    return false;
  }
  auto old = e->host;
  demonitor(e->handle.address());
  e->handle = *successor;
  e->host = caf::actor_cast<host_actor>(*successor);
  e->probe = opts_.spawner->probe(id);
  anon_send(e->host, hold_atom::value, reason); // before anyone can find it
  monitor(e->handle);
  if (opts_.directory)
    opts_.directory->set(id, e->handle, e->config.idempotent);
  if (old)
    anon_send(old, forward_atom::value, e->handle); // runs once the old host runs again
  return true;
}

void manager_impl::on_crash(const entry_ptr& e, const std::string& reason, bool abnormal) {
  auto id = e->config.id;
  e->health_pending = false;
  e->health_failures = 0;
  e->healthy = true;
  emit(abnormal ? event_kind::crashed : event_kind::stopped, id, reason);
  if (!e->supervised) {
    spdlog::warn("plugin '{}': actor terminated ({}); unregistered", id, reason);
    demonitor(e->handle.address());
    if (abnormal)
      anon_send_exit(e->handle, caf::exit_reason::kill); // it hung or failed its checks
    unregister(id);
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
      anon_send(e->host, hold_atom::value, why);
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
  e->status = entry_status::failed;
  e->down_reason = reason;
  ++e->revive; // a revive under way no longer counts
  tools_.remove(e->config.id);
  if (e->host)
    anon_send(e->host, retire_atom::value, reason);
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
    if (e->restart_batch != batch || e->status != entry_status::restarting)
      continue; // superseded by a later plan
    auto revive = ++e->revive;
    auto host = e->host;
    // The host builds its plugin again in place (no new actor: the address stays); the rest of
    // the batch follows in order once it serves.
    ask<plugin_state>(
      host, opts_.lifecycle_timeout,
      [this, e, revive, ids, index, batch](plugin_state&) {
        on_revived(e, revive, {});
        restart_next(ids, index + 1, batch);
      },
      [this, e, revive, ids, index, batch](caf::error& err) {
        if (err == caf::sec::request_timeout && e->revive == revive)
          err = make_error(errc::timeout, e->config.id,
                           "restart did not finish within " + ms_text(opts_.lifecycle_timeout));
        on_revived(e, revive, std::move(err));
        restart_next(ids, index + 1, batch);
      },
      revive_atom::value, plugin_state{e->reached.code, {}}, e->reached.initialized);
    return;
  }
}

void manager_impl::on_revived(const entry_ptr& e, std::uint64_t revive, caf::error err) {
  auto i = entries_.find(e->config.id);
  if (i == entries_.end() || i->second != e || e->revive != revive
      || e->status != entry_status::restarting)
    return; // superseded: it went down again, was given up or removed meanwhile
  if (!err) {
    back_up(e);
    return;
  }
  auto why = "restart failed: " + (is_troupe_error(err) ? detail_of(err) : describe(err));
  emit(event_kind::restart_failed, e->config.id, describe(err));
  // A revive that never answers is a host stuck in plugin code: it gets a successor.
  if (is_troupe_error(err) && err.code() == static_cast<std::uint8_t>(errc::timeout)
      && !replace_host(e, why))
    return;
  e->status = entry_status::up; // on_crash takes it down again and asks the tree
  on_crash(e, why, true);
}

void manager_impl::back_up(const entry_ptr& e) {
  ++e->restarts;
  e->status = entry_status::up;
  e->down_reason.clear();
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(clock().now() - e->down_since);
  emit(event_kind::restarted, e->config.id,
       "serving again " + std::to_string(took.count()) + " us after it went down", {},
       e->attempt, e->backoff);
}

const group_spec& manager_impl::group_of(const std::string& id) const {
  return tree_.group_of(id);
}

} // namespace troupe::detail
