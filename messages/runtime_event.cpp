#include "messages/runtime_event.hpp"

#include <chrono>
#include <ctime>

namespace troupe {

std::string to_string(event_kind x) {
  switch (x) {
    case event_kind::crashed: return "crashed";
    case event_kind::restarted: return "restarted";
    case event_kind::restart_failed: return "restart_failed";
    case event_kind::stopped: return "stopped";
    case event_kind::removed: return "removed";
    case event_kind::escalated: return "escalated";
    case event_kind::gave_up: return "gave_up";
    case event_kind::health_changed: return "health_changed";
    case event_kind::reload_started: return "reload_started";
    case event_kind::reload_completed: return "reload_completed";
    case event_kind::reload_failed: return "reload_failed";
    case event_kind::rolled_back: return "rolled_back";
    case event_kind::member_up: return "member_up";
    case event_kind::member_down: return "member_down";
    case event_kind::alert: return "alert";
  }
  return "unknown";
}

namespace {

std::string iso_time(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

} // namespace

std::string describe(const runtime_event& e) {
  std::string line = iso_time(e.time_ms) + " " + to_string(e.kind);
  if (!e.plugin.empty())
    line += " plugin=" + e.plugin;
  if (!e.group.empty())
    line += " group=" + e.group;
  if (e.kind == event_kind::restarted || e.kind == event_kind::reload_failed)
    line += " attempt=" + std::to_string(e.attempt) + " delay_ms=" + std::to_string(e.delay_ms);
  if (!e.detail.empty())
    line += " : " + e.detail;
  return line;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace troupe
