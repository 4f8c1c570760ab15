#pragma once
// The built-in plugins an agent needs (docs/builtin-plugins.md).

#include "plugins/native/registry.hpp"

namespace troupe::builtin {

/// Adds every built-in plugin class to `registry` under its name ("llm", "memory", "monitor").
void register_builtins(native_registry& registry);

} // namespace troupe::builtin
