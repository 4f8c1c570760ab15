#include "messages/result_json.hpp"

#include "messages/errors.hpp"

namespace troupe {

nlohmann::json to_json(const plugin_metadata& x) {
  return {{"id", x.id},
          {"name", x.name},
          {"version", x.version},
          {"description", x.description},
          {"type", to_string(x.type)},
          {"capabilities", x.capabilities},
          {"priority", x.priority},
          {"dependencies", x.dependencies},
          {"hooks", x.hooks},
          {"hook_priority", x.hook_priority}};
}

nlohmann::json to_json(const plugin_info& x) {
  auto result = to_json(x.metadata);
  result["state"] = to_string(x.state);
  if (!x.node.empty())
    result["node"] = x.node;
  return result;
}

nlohmann::json to_json(const plugin_stats& x) {
  return {{"id", x.id},           {"calls", x.calls},   {"failures", x.failures},
          {"mean_us", x.mean_us}, {"p50_us", x.p50_us}, {"p99_us", x.p99_us},
          {"state", to_string(x.state)}, {"counters", x.counters}, {"restarts", x.restarts},
          {"reloads", x.reloads}, {"in_flight", x.in_flight}, {"held", x.held}};
}

nlohmann::json to_json(const runtime_event& x) {
  return {{"time_ms", x.time_ms}, {"kind", to_string(x.kind)}, {"plugin", x.plugin},
          {"group", x.group},     {"detail", x.detail},        {"attempt", x.attempt},
          {"delay_ms", x.delay_ms}};
}

nlohmann::json to_json(const plugin_health& x) {
  return {{"id", x.id}, {"healthy", x.healthy}, {"state", to_string(x.state)}, {"detail", x.detail}};
}

nlohmann::json to_json(const tool_info& x) {
  auto schema = nlohmann::json::parse(x.parameters, nullptr, false);
  if (schema.is_discarded())
    schema = x.parameters;
  nlohmann::json out{{"plugin", x.plugin}, {"name", x.name}, {"description", x.description},
                     {"parameters", std::move(schema)}};
  if (!x.node.empty())
    out["node"] = x.node;
  return out;
}

nlohmann::json to_json(const member_status& x) {
  nlohmann::json out{{"name", x.name},         {"address", x.address}, {"state", x.state},
                     {"since_ms", x.since_ms}, {"plugins", x.plugins}};
  if (!x.detail.empty())
    out["detail"] = x.detail;
  return out;
}

nlohmann::json error_json(const caf::error& err) {
  nlohmann::json result{{"code", code_name(err)}, {"message", describe(err)}};
  if (auto plugin = plugin_of(err); !plugin.empty())
    result["plugin"] = plugin;
  return result;
}

} // namespace troupe
