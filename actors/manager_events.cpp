// The manager's events: every crash, restart, escalation, health change and reload is logged
// and sent to each subscriber as (event_atom, runtime_event).

#include <spdlog/spdlog.h>

#include "actors/manager_impl.hpp"
#include "messages/errors.hpp"

namespace troupe::detail {

void manager_impl::emit(event_kind kind, const std::string& plugin, std::string detail,
                        std::string group, std::size_t attempt, std::chrono::nanoseconds delay) {
  runtime_event ev;
  ev.kind = kind;
  ev.plugin = plugin;
  ev.group = group.empty() && !plugin.empty() ? group_of(plugin).name : std::move(group);
  ev.detail = std::move(detail);
  ev.attempt = static_cast<std::uint32_t>(attempt);
  ev.delay_ms = std::chrono::duration_cast<std::chrono::milliseconds>(delay).count();
  ev.time_ms = now_ms();
  auto level = spdlog::level::info;
  switch (kind) {
    case event_kind::escalated:
    case event_kind::gave_up:
    case event_kind::crashed:
    case event_kind::restart_failed:
      level = spdlog::level::warn;
      break;
    default:
      break;
  }
  if (spdlog::should_log(level))
    spdlog::log(level, "event: {}", describe(ev));
  publish(ev);
}

void manager_impl::publish(const runtime_event& ev) {
  for (const auto& s : subscribers_)
    anon_send(s, event_atom::value, ev);
}

bool manager_impl::subscribe(caf::actor who) {
  if (!who)
    return false;
  monitor(who);
  subscribers_.push_back(std::move(who));
  return true;
}

} // namespace troupe::detail
