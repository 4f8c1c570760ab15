#pragma once
// Registers the example plugins that are compiled into Troupe: "echo" and "kv_store".

#include "plugins/native/registry.hpp"

namespace troupe::examples {

/// Adds every compiled-in example plugin class to `registry`.
void register_builtin_plugins(native_registry& registry);

} // namespace troupe::examples
