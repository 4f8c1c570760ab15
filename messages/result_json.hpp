#pragma once
// JSON renderings of Troupe's result types, shared by the command line, the gateways and the
// HTTP views (one shape everywhere a program reads them).

#include <nlohmann/json.hpp>

#include "messages/runtime_event.hpp"

#include <caf/error.hpp>

#include "messages/cluster_types.hpp"
#include "messages/plugin_types.hpp"

namespace troupe {

/// {"id", "name", "version", "description", "type", "capabilities", "priority", "dependencies"}
nlohmann::json to_json(const plugin_metadata& x);
/// The metadata fields plus "state" (and "node" in a cluster's list).
nlohmann::json to_json(const plugin_info& x);
/// {"id", "calls", "failures", "mean_us", "p50_us", "p99_us", "state", "counters", "restarts",
/// "reloads", "in_flight", "held"}
nlohmann::json to_json(const plugin_stats& x);
/// {"id", "healthy", "state", "detail"}
nlohmann::json to_json(const plugin_health& x);
/// {"plugin", "name", "description", "parameters"} with the schema as a JSON object; the shape
/// LLM function calling expects, plus the plugin that serves it.
nlohmann::json to_json(const tool_info& x);
/// {"name", "address", "state", "since_ms", "plugins"} and "detail" when there is one.
nlohmann::json to_json(const member_status& x);
/// {"code": "invalid_state", "message": "<describe(err)>", "plugin": "echo"} ("plugin" if known).
nlohmann::json error_json(const caf::error& err);

/// {"time_ms", "kind", "plugin", "group", "detail", "attempt", "delay_ms"}.
nlohmann::json to_json(const runtime_event& x);

} // namespace troupe
