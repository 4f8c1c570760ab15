#pragma once
// The limits of a WebAssembly plugin by name, as the [plugins.limits] table and `--limit NAME=VALUE`
// give them (docs/wasm-plugins.md, "Limits"): fuel, wall_time_ms, memory_pages, module_size.

#include <map>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "plugins/wasm/wasm_module.hpp"

namespace troupe::wasm {

/// Sets limit `name` from `value` (counts and sizes take K/M/G, times ms/s). config_error naming
/// the limit and listing the known names otherwise.
caf::error set_limit(module_limits& limits, const std::string& name, const std::string& value);

/// `base` overridden by every setting "limit.<name>" of `settings`.
caf::expected<module_limits> limits_from_settings(const std::map<std::string, std::string>& settings,
                                                  module_limits base = {});

} // namespace troupe::wasm
