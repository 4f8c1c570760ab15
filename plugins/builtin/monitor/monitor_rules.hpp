#pragma once
// The rules of the "monitor" plugin: what they watch, their thresholds, and how they are read
// from the `rules` setting (a JSON array; docs/builtin-plugins.md, "monitor").

#include <cstdint>
#include <string>
#include <vector>

#include <caf/expected.hpp>

namespace troupe::builtin {

/// What a rule watches.
enum class rule_kind : std::uint8_t {
  error_rate,  ///< Failed calls / calls within window_ms, a fraction in [0, 1].
  p99_latency, ///< The plugin's p99 execute latency in microseconds (its last 1024 calls).
  restarts,    ///< Restarts (restarted events) within window_ms.
};

/// "error_rate", "p99_latency", "restarts".
std::string to_string(rule_kind x);

/// One rule. It holds for a subject (a plugin, or all plugins as one) when its value is over
/// the threshold (strictly greater).
struct monitor_rule {
  std::string name;           ///< Names the rule in alerts. Default: "<kind>:<plugin>".
  rule_kind kind = rule_kind::error_rate;
  std::string plugin = "*";   ///< A plugin id, or "*" (default): every plugin, each on its own.
  bool aggregate = false;     ///< With plugin "*": all plugins together as one subject "*".
                              ///< Summed calls, failures and restarts; the largest p99. Default false.
  double threshold = 0;       ///< REQUIRED. error_rate: a fraction in [0, 1]; p99_latency:
                              ///< microseconds; restarts: a count.
  std::int64_t window_ms = 60000;     ///< error_rate, restarts (and min_calls). Default 60000.
  std::int64_t min_calls = 10;        ///< error_rate, p99_latency: fewer calls within the window
                                      ///< never hold. Default 10.
  std::int64_t cooldown_ms = 300000;  ///< Default 300000. See rule_engine for firing.
};

/// Reads a JSON array of rule objects (keys: name, kind, plugin, aggregate, threshold,
/// window_ms, min_calls, cooldown_ms). Errors: config_error naming `plugin_id`, the rule's
/// index and the key (not JSON, not an array, an unknown key or kind, a missing threshold, a
/// wrong type, a negative number, a window of 0, an error_rate threshold over 1).
caf::expected<std::vector<monitor_rule>> parse_rules(const std::string& json_text,
                                                     const std::string& plugin_id);

} // namespace troupe::builtin
