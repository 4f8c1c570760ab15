#pragma once
// The metadata a WebAssembly module describes itself with (its `metadata` export's JSON, see
// docs/wasm-plugins.md): name, version, description, type, capabilities, priority,
// dependencies, tools with their JSON schemas, and the agent hooks it takes part in
// (hooks, hook_priority).

#include <string>
#include <vector>

#include "messages/plugin_types.hpp"
#include "plugins/api/plugin.hpp"

namespace troupe::wasm {

/// A module's metadata and tools.
struct module_metadata {
  plugin_metadata md;
  std::vector<tool_spec> tools;
};

/// Parses `json` into `out` (whose md.id and defaults the caller set). Answers "" or what is wrong,
/// naming the field ("tools[1].parameters: ..."). Unknown fields are ignored.
std::string parse_module_metadata(const std::string& json, module_metadata& out);

} // namespace troupe::wasm
