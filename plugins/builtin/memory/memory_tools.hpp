#pragma once
// The tools the memory plugin offers agents (and MCP clients): their JSON Schemas and the op
// each one runs.

#include <optional>
#include <string>
#include <vector>

#include "plugins/api/plugin.hpp"

namespace troupe::builtin {

/// memory_append, memory_recall, memory_recent and memory_forget with their schemas.
std::vector<tool_spec> memory_tool_specs();

/// The op tool `name` runs ("append" for memory_append, ...); nullopt for any other name.
std::optional<std::string> memory_tool_op(const std::string& name);

} // namespace troupe::builtin
