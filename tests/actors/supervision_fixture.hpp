#pragma once
// The fixture of the supervision and watchdog tests: a runtime with supervision groups, faulty
// plugins added with a factory (so they can be made again), and every event collected.

#include <memory>
#include <string>
#include <vector>

#include "actor_fixture.hpp"
#include "actors/event_log.hpp"
#include "actors/faulty_plugin.hpp"
#include "actors/runtime.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::test {

using std::chrono::milliseconds;

/// A group with immediate restarts, no jitter, and no health checks or watchdog unless a test
/// turns them on.
inline group_spec quiet_group(std::string name, restart_strategy strategy = restart_strategy::one_for_one) {
  group_spec g;
  g.name = std::move(name);
  g.strategy = strategy;
  g.backoff.min = milliseconds{0};
  g.backoff.jitter = 0;
  g.health.interval = milliseconds{0};
  g.watchdog = milliseconds{0};
  g.intensity.max_restarts = 100;
  return g;
}

class Supervision : public ::testing::Test {
protected:
  /// Starts a runtime whose supervision has `groups` (root: quiet_group("root") unless given).
  void start(std::vector<group_spec> groups = {}) {
    bool has_root = false;
    for (const auto& g : groups)
      has_root = has_root || g.name == root_group;
    if (!has_root)
      groups.push_back(quiet_group(root_group));
    runtime_options opts;
    opts.manager.supervision.groups = std::move(groups);
    opts.manager.random = [] { return 0.5; };
    opts.call_timeout = request_timeout;
    ASSERT_FALSE(validate(opts.manager.supervision));
    rt = std::make_unique<runtime>(sys, std::move(opts));
    subscription = rt->subscribe([this](const runtime_event& ev) { log.push(ev); });
    ASSERT_TRUE(subscription);
  }

  /// Adds a faulty plugin (supervised: it has a factory) and returns its control block.
  std::shared_ptr<fault_control> add(const std::string& id, const std::string& group = "",
                                     const std::string& restart = "") {
    auto control = std::make_shared<fault_control>();
    auto cfg = config_for(id);
    cfg.group = group;
    cfg.restart = restart;
    auto md = rt->add(std::move(cfg), faulty_factory(id, control));
    EXPECT_TRUE(md) << describe(md.error());
    return control;
  }

  caf::expected<payload> exec(const std::string& id, const std::string& text) {
    return rt->execute(id, pack(text));
  }

  /// Executes and expects the crash answer that names the plugin.
  void crash(const std::string& id, const std::string& how = "crash") {
    auto out = exec(id, how);
    EXPECT_TROUPE_ERROR(out, errc::crashed);
    if (!out) {
      EXPECT_EQ(plugin_of(out.error()), id);
    }
  }

  int instance_of(const std::string& id) {
    auto out = exec(id, "instance");
    EXPECT_TRUE(out) << describe(out.error());
    return out ? *unpack_as<int>(*out) : -1;
  }

  registered_config cfg;
  caf::actor_system sys{cfg};
  event_log log;
  std::unique_ptr<runtime> rt;
  caf::actor subscription;
};

} // namespace troupe::test
