#include "node/monitor_feeder.hpp"

#include <deque>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <msgpack.hpp>
#include <spdlog/spdlog.h>

#include "actors/manager.hpp"
#include "messages/atoms.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/runtime_event.hpp"

namespace troupe {

namespace {

struct feeder_state {
  monitor_feeder_options opts;
  manager_actor manager;
  std::deque<runtime_event> events;
  std::uint64_t dropped = 0;
  static inline const char* name = "troupe.monitor_feeder";
};

using feeder_actor = caf::stateful_actor<feeder_state>;

/// {"op": "observe", "stats": [...], "events": [...]}: what a monitor plugin's observe reads.
payload observation(const std::vector<plugin_stats>& stats,
                    const std::deque<runtime_event>& events) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk{buffer};
  pk.pack_map(3);
  pk.pack("op"), pk.pack("observe");
  pk.pack("stats");
  pk.pack_array(static_cast<std::uint32_t>(stats.size()));
  for (const auto& s : stats) {
    pk.pack_map(5);
    pk.pack("id"), pk.pack(s.id);
    pk.pack("calls"), pk.pack(s.calls);
    pk.pack("failures"), pk.pack(s.failures);
    pk.pack("p99_us"), pk.pack(s.p99_us);
    pk.pack("restarts"), pk.pack(s.restarts);
  }
  pk.pack("events");
  pk.pack_array(static_cast<std::uint32_t>(events.size()));
  for (const auto& ev : events) {
    pk.pack_map(3);
    pk.pack("kind"), pk.pack(to_string(ev.kind));
    pk.pack("plugin"), pk.pack(ev.plugin);
    pk.pack("time_ms"), pk.pack(ev.time_ms);
  }
  const auto* data = reinterpret_cast<const std::uint8_t*>(buffer.data());
  return payload{std::vector<std::uint8_t>(data, data + buffer.size())};
}

/// " key=value" for a numeric field of an alert map, or "".
std::string number_of(const msgpack::object& alert, const char* key) {
  const auto* o = map_field(alert, key);
  if (o == nullptr)
    return {};
  switch (o->type) {
    case msgpack::type::POSITIVE_INTEGER: return " " + std::string(key) + "=" + std::to_string(o->via.u64);
    case msgpack::type::NEGATIVE_INTEGER: return " " + std::string(key) + "=" + std::to_string(o->via.i64);
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return " " + std::string(key) + "=" + std::to_string(o->via.f64);
    default: return {};
  }
}

/// A text field of an alert map, or "".
std::string text_of(const msgpack::object& alert, const char* key) {
  const auto* o = map_field(alert, key);
  return o != nullptr && o->type == msgpack::type::STR ? std::string(o->via.str.ptr, o->via.str.size)
                                                        : std::string{};
}

/// Publishes every alert of the monitor's answer {"alerts": [...]} as an `alert` event.
void publish_alerts(feeder_actor* self, const payload& answer) {
  const auto& st = self->state;
  auto handle = unpack(answer, st.opts.plugin);
  const auto* alerts = handle ? map_field(handle->get(), "alerts") : nullptr;
  if (alerts == nullptr || alerts->type != msgpack::type::ARRAY) {
    spdlog::warn("monitor feeder '{}': the monitor's answer has no \"alerts\" array",
                 st.opts.plugin);
    return;
  }
  for (std::uint32_t i = 0; i < alerts->via.array.size; ++i) {
    const auto& a = alerts->via.array.ptr[i];
    const auto* time = map_field(a, "time_ms");
    runtime_event ev;
    ev.kind = event_kind::alert;
    ev.plugin = text_of(a, "plugin");
    ev.group = st.opts.plugin;
    ev.detail = "rule=" + text_of(a, "rule") + " kind=" + text_of(a, "kind")
                + number_of(a, "value") + number_of(a, "threshold") + ": " + text_of(a, "message");
    ev.time_ms = time && time->type == msgpack::type::POSITIVE_INTEGER
                   ? static_cast<std::int64_t>(time->via.u64)
                   : now_ms();
    publish_event(st.manager, std::move(ev));
  }
}

void schedule(feeder_actor* self) {
  self->delayed_send(self, self->state.opts.interval, tick_atom::value);
}

void skip_round(feeder_actor* self, const char* step, const caf::error& err) {
  spdlog::debug("monitor feeder '{}': {} failed, round skipped: {}", self->state.opts.plugin,
                step, describe(err));
  schedule(self);
}

/// One round: stats from the manager, then observe on the monitor, then the alerts published.
void round(feeder_actor* self) {
  auto& st = self->state;
  self->request(st.manager, st.opts.timeout, stats_atom::value)
    .then(
      [self](std::vector<plugin_stats>& stats) {
        auto& st = self->state;
        auto input = observation(stats, st.events);
        st.events.clear();
        if (st.dropped > 0)
          spdlog::debug("monitor feeder '{}': {} events dropped (more than {} in a round)",
                        st.opts.plugin, st.dropped, st.opts.max_events);
        st.dropped = 0;
        self->request(st.manager, st.opts.timeout, execute_atom::value, st.opts.plugin, input)
          .then([self](payload& answer) { publish_alerts(self, answer), schedule(self); },
                [self](caf::error& err) { skip_round(self, "observe", err); });
      },
      [self](caf::error& err) { skip_round(self, "stats", err); });
}

caf::behavior feeder(feeder_actor* self, manager_actor manager, monitor_feeder_options opts) {
  self->state.opts = std::move(opts);
  self->state.manager = manager;
  self->monitor(manager);
  self->set_down_handler([self](const caf::down_msg&) { self->quit(); });
  self->send(manager, subscribe_atom::value, caf::actor_cast<caf::actor>(self));
  self->send(self, tick_atom::value);
  return {
    [self](event_atom, const runtime_event& ev) {
      auto& st = self->state;
      if (ev.kind == event_kind::alert)
        return;
      st.events.push_back(ev);
      while (st.events.size() > st.opts.max_events) {
        st.events.pop_front();
        ++st.dropped;
      }
    },
    [self](tick_atom) { round(self); },
    [](bool) {}, // the manager's answer to subscribe
  };
}

} // namespace

caf::actor spawn_monitor_feeder(caf::actor_system& sys, manager_actor manager,
                                monitor_feeder_options opts) {
  return sys.spawn(feeder, std::move(manager), std::move(opts));
}

} // namespace troupe
