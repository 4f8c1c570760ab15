#pragma once
// "monitor": raises alerts when the runtime's stats or events cross a rule's threshold (error
// rate, p99 latency, restarts per window; per plugin or all plugins), and POSTs each alert to
// an optional webhook. The plugin never talks to an actor: the node's monitor feeder
// (node/monitor_feeder.hpp) sends it observations every interval_ms and publishes the alerts it
// answers as `alert` events. docs/builtin-plugins.md, "monitor", documents settings and shapes.
//
// Settings (text): rules (REQUIRED: a JSON array, monitor_rules.hpp), interval_ms (default
// 1000; read by the feeder), webhook_url (default: none), webhook_timeout_ms (default 2000).
// Requests (msgpack maps with "op"):
//   {"op": "observe", "stats": [{"id", "calls", "failures", "p99_us"}...],
//    "events": [{"kind", "plugin", "time_ms"}...]}      -> {"alerts": [alert...]}
//   {"op": "rules"}                                      -> [rule...]

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "plugins/api/plugin.hpp"
#include "plugins/builtin/monitor/rule_engine.hpp"
#include "plugins/builtin/monitor/webhook.hpp"

namespace troupe::builtin {

class request_reader;

/// The monitor plugin. Its rules are read at load; its firing state lives as long as the
/// instance (a restarted monitor starts re-armed).
class monitor_plugin final : public plugin {
public:
  /// `clock` answers milliseconds since the epoch for the rules; default: the system clock.
  explicit monitor_plugin(std::function<std::int64_t()> clock = {});
  ~monitor_plugin() override;

  plugin_metadata metadata() const override;
  caf::error load(plugin_context& ctx) override;
  caf::expected<payload> execute(plugin_context& ctx, const payload& input) override;
  std::map<std::string, std::int64_t> counters() const override;

private:
  caf::expected<payload> observe(const request_reader& req);
  caf::expected<payload> describe_rules() const;
  void notify(const alert& a);

  std::function<std::int64_t()> clock_;
  std::string id_;
  std::unique_ptr<rule_engine> engine_;
  std::optional<webhook_target> webhook_;
  std::chrono::milliseconds webhook_timeout_{2000};
  std::int64_t observations_ = 0;
  std::int64_t alerts_ = 0;
  std::int64_t webhooks_sent_ = 0;
  std::int64_t webhooks_failed_ = 0;
};

} // namespace troupe::builtin
