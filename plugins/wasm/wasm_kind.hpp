#pragma once
// The "wasm" plugin kind: a WebAssembly module in libwabt's interpreter (docs/wasm-plugins.md).

#include "plugins/api/kind_definition.hpp"

namespace troupe::wasm {

/// kind = "wasm". Keys: `module` (required; selects the kind; a path relative to the config
/// file) and the [plugins.limits] table (fuel, wall_time_ms, memory_pages, module_size), whose
/// entries become the settings "limit.<name>" (checked at config time, applied at load).
/// Watches "*.wasm"; a new module file gets the id module_plugin_id(path). Validator:
/// check_module (the ABI, without running the module).
kind_definition wasm_kind();

} // namespace troupe::wasm
