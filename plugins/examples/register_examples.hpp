#pragma once
// The example plugins compiled into the troupe_examples library (not into the core: an embedding
// program linking troupe::troupe does not get them, nor SQLite): "echo" and "kv_store".

#include "plugins/native/registry.hpp"

namespace troupe::examples {

/// Adds the example plugin classes "echo" and "kv_store" to `registry`.
void register_examples(native_registry& registry);

} // namespace troupe::examples
