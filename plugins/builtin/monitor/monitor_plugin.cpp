#include "plugins/builtin/monitor/monitor_plugin.hpp"

#include <cstdint>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/runtime_event.hpp"
#include "plugins/builtin/request_reader.hpp"

namespace troupe::builtin {

namespace {

using nlohmann::json;

/// An array field of the request (absent or nil: empty), each element a map.
caf::expected<std::vector<const msgpack::object*>> maps_in(const request_reader& req,
                                                           const msgpack::object& root,
                                                           const char* key) {
  std::vector<const msgpack::object*> out;
  const auto* arr = map_field(root, key);
  if (arr == nullptr || arr->type == msgpack::type::NIL)
    return out;
  if (arr->type != msgpack::type::ARRAY)
    return req.bad(std::string("\"") + key + "\" must be an array of maps");
  for (std::uint32_t i = 0; i < arr->via.array.size; ++i) {
    if (arr->via.array.ptr[i].type != msgpack::type::MAP)
      return req.bad(std::string("\"") + key + "\" must be an array of maps");
    out.push_back(&arr->via.array.ptr[i]);
  }
  return out;
}

caf::expected<observed_stats> stats_of(const msgpack::object& m, const std::string& plugin) {
  request_reader r{m, plugin};
  auto id = r.text("id", 1024);
  auto calls = r.optional_int("calls", 0, INT64_MAX);
  auto failures = r.optional_int("failures", 0, INT64_MAX);
  auto p99 = r.optional_number("p99_us");
  if (!id || !calls || !failures || !p99)
    return !id ? id.error() : !calls ? calls.error() : !failures ? failures.error() : p99.error();
  return observed_stats{*id, static_cast<std::uint64_t>(calls->value_or(0)),
                        static_cast<std::uint64_t>(failures->value_or(0)), p99->value_or(0)};
}

caf::expected<observed_event> event_of(const msgpack::object& m, const std::string& plugin) {
  request_reader r{m, plugin};
  auto kind = r.text("kind", 64);
  auto subject = r.optional_text("plugin", 1024);
  auto time = r.optional_int("time_ms", INT64_MIN, INT64_MAX);
  if (!kind || !subject || !time)
    return !kind ? kind.error() : !subject ? subject.error() : time.error();
  return observed_event{*kind, subject->value_or(""), time->value_or(0)};
}

json alert_json(const alert& a) {
  return {{"rule", a.rule},   {"kind", a.kind},           {"plugin", a.plugin},
          {"value", a.value}, {"threshold", a.threshold}, {"time_ms", a.time_ms},
          {"message", a.message}};
}

} // namespace

monitor_plugin::monitor_plugin(std::function<std::int64_t()> clock) : clock_(std::move(clock)) {
  if (!clock_)
    clock_ = [] { return now_ms(); };
}

monitor_plugin::~monitor_plugin() = default;

plugin_metadata monitor_plugin::metadata() const {
  plugin_metadata m;
  m.id = "monitor";
  m.name = "Monitor";
  m.version = "1.0.0";
  m.description = "Alerts on error rate, p99 latency and restarts, with an optional webhook";
  m.type = {plugin_kind::monitor, {}};
  m.capabilities = {"observe", "rules"};
  return m;
}

caf::error monitor_plugin::load(plugin_context& ctx) {
  id_ = ctx.plugin_id();
  auto text = ctx.setting("rules");
  if (!text)
    return make_error(errc::config_error, id_,
                      "setting 'rules' is required: a JSON array of rules (docs/builtin-plugins.md)");
  auto rules = parse_rules(*text, id_);
  if (!rules)
    return std::move(rules.error());
  for (const char* key : {"interval_ms", "webhook_timeout_ms"})
    if (ctx.setting(key) && (!ctx.int_setting(key) || *ctx.int_setting(key) <= 0))
      return make_error(errc::config_error, id_,
                        std::string("setting '") + key + "' must be a positive integer");
  webhook_timeout_ = std::chrono::milliseconds{ctx.int_setting("webhook_timeout_ms").value_or(2000)};
  webhook_.reset();
  if (auto url = ctx.setting("webhook_url"); url && !url->empty()) {
    auto target = parse_webhook_url(*url, id_);
    if (!target)
      return std::move(target.error());
    webhook_ = *target;
  }
  engine_ = std::make_unique<rule_engine>(std::move(*rules), clock_, id_);
  return {};
}

caf::expected<payload> monitor_plugin::execute(plugin_context& ctx, const payload& input) {
  auto request = unpack(input, ctx.plugin_id());
  if (!request)
    return std::move(request.error());
  request_reader req{request->get(), ctx.plugin_id()};
  if (!req.is_map())
    return req.bad(R"(expected a map with a string "op": observe or rules)");
  auto op = req.text("op", 32);
  if (!op)
    return std::move(op.error());
  if (*op == "observe")
    return observe(req);
  if (*op == "rules")
    return describe_rules();
  return req.bad("unknown op '" + *op + "': expected observe or rules");
}

caf::expected<payload> monitor_plugin::observe(const request_reader& req) {
  const auto& root = req.root();
  auto stat_maps = maps_in(req, root, "stats");
  auto event_maps = maps_in(req, root, "events");
  if (!stat_maps || !event_maps)
    return !stat_maps ? stat_maps.error() : event_maps.error();
  std::vector<observed_stats> stats;
  for (const auto* m : *stat_maps) {
    auto s = stats_of(*m, id_);
    if (!s)
      return std::move(s.error());
    stats.push_back(std::move(*s));
  }
  std::vector<observed_event> events;
  for (const auto* m : *event_maps) {
    auto e = event_of(*m, id_);
    if (!e)
      return std::move(e.error());
    events.push_back(std::move(*e));
  }
  ++observations_;
  json alerts = json::array();
  for (const auto& a : engine_->observe(stats, events)) {
    ++alerts_;
    notify(a);
    alerts.push_back(alert_json(a));
  }
  return payload_from_json(json{{"alerts", std::move(alerts)}});
}

void monitor_plugin::notify(const alert& a) {
  spdlog::warn("monitor '{}': alert: {}", id_, a.message);
  if (!webhook_)
    return;
  json body = {{"source", "troupe"}, {"monitor", id_}, {"alert", alert_json(a)}};
  if (auto err = post_webhook(*webhook_, body.dump(), webhook_timeout_, id_)) {
    ++webhooks_failed_;
    spdlog::warn("monitor '{}': {}", id_, describe(err));
    return;
  }
  ++webhooks_sent_;
}

caf::expected<payload> monitor_plugin::describe_rules() const {
  json out = json::array();
  for (const auto& r : engine_->rules())
    out.push_back({{"name", r.name},         {"kind", to_string(r.kind)},
                   {"plugin", r.plugin},     {"aggregate", r.aggregate},
                   {"threshold", r.threshold}, {"window_ms", r.window_ms},
                   {"min_calls", r.min_calls}, {"cooldown_ms", r.cooldown_ms}});
  return payload_from_json(out);
}

std::map<std::string, std::int64_t> monitor_plugin::counters() const {
  return {{"observations", observations_},
          {"alerts", alerts_},
          {"webhooks_sent", webhooks_sent_},
          {"webhooks_failed", webhooks_failed_}};
}

} // namespace troupe::builtin
