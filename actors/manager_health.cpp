// The manager's tick: the watchdog (plugin code that has run for `watchdog` on one call is
// hanging: the call is answered crashed from here and the plugin gets a successor host) and
// periodic health checks (`health.failures` unhealthy or unanswered checks in a row: a crash).

#include <spdlog/spdlog.h>

#include "actors/manager_impl.hpp"
#include "messages/errors.hpp"

namespace troupe::detail {

void manager_impl::on_tick() {
  auto now = clock().now();
  deadlines_.expire(now);
  std::vector<std::string> due_groups;
  auto due = [&](const std::string& group) {
    if (std::find(due_groups.begin(), due_groups.end(), group) != due_groups.end())
      return true;
    const auto& interval = find_group(opts_.supervision, group)->health.interval;
    auto last = last_health_.find(group);
    if (interval.count() <= 0 || (last != last_health_.end() && now - last->second < interval))
      return false;
    due_groups.push_back(group);
    return true;
  };
  std::vector<entry_ptr> all;
  for (const auto& [id, e] : entries_)
    all.push_back(e);
  for (const auto& e : all) {
    if (e->host && (e->status == entry_status::restarting || e->reloading))
      anon_send(e->host, expire_atom::value); // its held calls' deadlines
    if (e->status != entry_status::up || !e->handle)
      continue;
    check_watchdog(e, now);
    if (e->status == entry_status::up && due(group_of(e->config.id).name))
      check_health(e);
  }
  for (const auto& g : due_groups)
    last_health_[g] = now;
  delayed_send(this, tick_interval_, tick_atom::value);
}

void manager_impl::check_watchdog(const entry_ptr& e, caf::actor_clock::time_point now) {
  auto limit = group_of(e->config.id).watchdog;
  if (limit.count() <= 0 || !e->probe)
    return;
  const auto& id = e->config.id;
  std::string reason;
  auto hung = e->probe->answer_if_hung(now, limit, [&](std::chrono::nanoseconds ran) {
    reason = "watchdog: no answer for " + ms_text(ran) + " on a call (limit " + ms_text(limit)
             + ")";
    return make_error(errc::crashed, id, reason);
  });
  if (!hung)
    return;
  spdlog::warn("plugin '{}': {}", id, reason);
  if (replace_host(e, reason))
    on_crash(e, reason, true);
}

void manager_impl::check_health(const entry_ptr& e) {
  auto code = e->reached.code;
  if (e->health_pending
      || (code != state_code::loaded && code != state_code::running && code != state_code::paused))
    return;
  e->health_pending = true;
  auto handle = e->handle;
  auto timeout = group_of(e->config.id).health.interval;
  request(handle, timeout, health_atom::value).then(
    [this, e, handle](plugin_health& h) { on_health_answer(e, handle, h.healthy, h.detail); },
    [this, e, handle](caf::error& err) {
      if (err == caf::sec::request_receiver_down)
        return; // the actor died: its down message deals with that
      on_health_answer(e, handle, false, "no answer to the health check: " + describe(err));
    });
}

void manager_impl::on_health_answer(const entry_ptr& e, const plugin_actor& handle, bool healthy,
                                    const std::string& detail) {
  if (e->handle != handle || e->status != entry_status::up)
    return;
  e->health_pending = false;
  const auto& id = e->config.id;
  if (healthy) {
    e->health_failures = 0;
    if (!e->healthy) {
      e->healthy = true;
      emit(event_kind::health_changed, id, "healthy" + (detail.empty() ? "" : ": " + detail));
    }
    return;
  }
  ++e->health_failures;
  if (e->healthy) {
    e->healthy = false;
    emit(event_kind::health_changed, id, "unhealthy: " + detail);
  }
  auto limit = group_of(id).health.failures;
  if (e->health_failures < limit)
    return;
  auto why = "health check failed " + std::to_string(limit) + " times in a row: " + detail;
  if (e->host)
    anon_send(e->host, hold_atom::value, why);
  on_crash(e, why, true);
}

} // namespace troupe::detail
