#pragma once
// Shared by the supervision benchmarks (fault_bench, restart_latency): a native plugin that
// crashes on request, and a root group that restarts at once and never escalates.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "actors/runtime.hpp"
#include "actors/supervision/supervision_spec.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/api/plugin.hpp"

namespace troupe::bench {

/// The payload that makes a flaky plugin crash.
inline const payload& crash_payload() {
  static const payload p = pack(std::string("crash"));
  return p;
}

/// Echoes its input; crashes on "crash" (throws and returns fatal by turns, counted over every
/// instance, since a restarted instance starts afresh).
class flaky final : public plugin {
public:
  plugin_metadata metadata() const override {
    plugin_metadata m;
    m.id = "flaky";
    m.name = "Flaky";
    m.version = "1.0.0";
    m.description = "Echoes its input; crashes on \"crash\"";
    m.type = {plugin_kind::custom, "bench"};
    return m;
  }

  caf::expected<payload> execute(plugin_context& ctx, const payload& input) override {
    if (input.bytes == crash_payload().bytes) {
      if (crashes_.fetch_add(1, std::memory_order_relaxed) % 2 == 0)
        throw std::runtime_error("flaky: asked to crash (throw)");
      return make_error(errc::fatal, ctx.plugin_id(), "flaky: asked to crash (fatal)");
    }
    return input;
  }

private:
  static inline std::atomic<std::uint64_t> crashes_{0};
};

/// Runtime options whose root group restarts at once (backoff 0), never escalates, holds up to
/// `queue_capacity` requests for 10 s while a plugin restarts, and runs no health checks or
/// watchdog; no built-in plugin classes.
inline runtime_options immediate_restart_options(std::size_t queue_capacity) {
  group_spec root;
  root.name = root_group;
  root.strategy = restart_strategy::one_for_one;
  root.intensity.max_restarts = 10000000;
  root.intensity.within = std::chrono::milliseconds{1000};
  root.backoff.min = std::chrono::milliseconds{0};
  root.queue.fail_fast = false;
  root.queue.capacity = queue_capacity;
  root.queue.timeout = std::chrono::milliseconds{10000};
  root.health.interval = std::chrono::milliseconds{0};
  root.watchdog = std::chrono::milliseconds{0};
  runtime_options opts;
  opts.manager.supervision.groups = {root};
  return opts;
}

} // namespace troupe::bench
