#pragma once
// The plugin kinds Troupe ships. A new kind is a folder under plugins/ and one line in
// standard_kinds.cpp.

#include "plugins/api/kind_registry.hpp"

namespace troupe {

/// A registry with "native" (the default kind), "lua", "library" and "wasm", in that order: an
/// entry without `kind` is "lua" if it sets `script`, else "library" if it sets `library`, else
/// "wasm" if it sets `module`, else "native".
kind_registry standard_kinds();

} // namespace troupe
