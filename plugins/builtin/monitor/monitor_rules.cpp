#include "plugins/builtin/monitor/monitor_rules.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "messages/errors.hpp"

namespace troupe::builtin {

std::string to_string(rule_kind x) {
  switch (x) {
    case rule_kind::error_rate: return "error_rate";
    case rule_kind::p99_latency: return "p99_latency";
    case rule_kind::restarts: return "restarts";
  }
  return "unknown";
}

namespace {

using nlohmann::json;

/// Reads one rule object; "" on success, else what is wrong (without the rule's index).
std::string read_rule(const json& j, monitor_rule& r) {
  static const std::vector<std::string> keys = {"name",      "kind",      "plugin",
                                                "aggregate", "threshold", "window_ms",
                                                "min_calls", "cooldown_ms"};
  if (!j.is_object())
    return "is not an object";
  for (const auto& item : j.items())
    if (std::find(keys.begin(), keys.end(), item.key()) == keys.end())
      return "has an unknown key '" + item.key() + "'";
  if (!j.contains("kind") || !j["kind"].is_string())
    return "needs a string \"kind\": error_rate, p99_latency or restarts";
  auto kind = j["kind"].get<std::string>();
  if (kind == "error_rate")
    r.kind = rule_kind::error_rate;
  else if (kind == "p99_latency")
    r.kind = rule_kind::p99_latency;
  else if (kind == "restarts")
    r.kind = rule_kind::restarts;
  else
    return "has an unknown kind '" + kind + "': expected error_rate, p99_latency or restarts";
  for (const char* key : {"name", "plugin"})
    if (j.contains(key) && (!j[key].is_string() || j[key].get<std::string>().empty()))
      return std::string("\"") + key + "\" must be a non-empty string";
  r.plugin = j.value("plugin", "*");
  r.name = j.value("name", to_string(r.kind) + ":" + r.plugin);
  if (j.contains("aggregate") && !j["aggregate"].is_boolean())
    return "\"aggregate\" must be a boolean";
  r.aggregate = j.value("aggregate", false);
  if (r.aggregate && r.plugin != "*")
    return "\"aggregate\" needs \"plugin\": \"*\"";
  if (!j.contains("threshold") || !j["threshold"].is_number() || j["threshold"] < 0)
    return "needs a number \"threshold\" of at least 0";
  r.threshold = j["threshold"].get<double>();
  if (r.kind == rule_kind::error_rate && r.threshold > 1)
    return "an error_rate \"threshold\" is a fraction from 0 to 1";
  for (auto [key, field] : {std::pair{"window_ms", &r.window_ms}, std::pair{"min_calls", &r.min_calls},
                            std::pair{"cooldown_ms", &r.cooldown_ms}}) {
    if (!j.contains(key))
      continue;
    if (!j[key].is_number_integer() || j[key] < 0)
      return std::string("\"") + key + "\" must be an integer of at least 0";
    *field = j[key].get<std::int64_t>();
  }
  if (r.window_ms == 0)
    return "\"window_ms\" must be positive";
  return {};
}

} // namespace

caf::expected<std::vector<monitor_rule>> parse_rules(const std::string& json_text,
                                                     const std::string& plugin_id) {
  auto doc = json::parse(json_text, nullptr, false);
  if (doc.is_discarded())
    return make_error(errc::config_error, plugin_id, "setting 'rules' is not valid JSON");
  if (!doc.is_array())
    return make_error(errc::config_error, plugin_id, "setting 'rules' must be a JSON array");
  std::vector<monitor_rule> rules;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    monitor_rule r;
    auto problem = read_rule(doc[i], r);
    if (!problem.empty())
      return make_error(errc::config_error, plugin_id,
                        "setting 'rules': rule " + std::to_string(i) + " " + problem);
    rules.push_back(std::move(r));
  }
  return rules;
}

} // namespace troupe::builtin
