#pragma once
// The Lua script the reload and watch tests rewrite: version v counts calls in a global.

#include <string>

namespace troupe::test {

/// Version `v` of a counter script: its count lives in a global (no snapshot/restore).
inline std::string counter_script(int v, const std::string& extra = {}) {
  return "plugin_version = '" + std::to_string(v) + ".0.0'\n"
         "count = 0\n"
         "function execute(x)\n"
         "  count = count + 1\n"
         "  return {version = " + std::to_string(v) + ", count = count}\n"
         "end\n" + extra;
}

} // namespace troupe::test
