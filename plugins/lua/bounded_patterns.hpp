#pragma once
// Metered replacements for Lua 5.4's string.find, string.match, string.gmatch and string.gsub.
// The stock functions backtrack inside one C call where the instruction-count hook never fires;
// these produce the same results but charge their work to a step_meter as they go.

#include <lua.hpp>

#include "plugins/lua/step_meter.hpp"

namespace troupe::lua {

/// Sets `find`, `match`, `gmatch` and `gsub` in the table at the top of L's stack to metered
/// versions with Lua 5.4's exact semantics (init, plain, anchors, captures incl. position
/// captures, %b, %f, %g classes, gsub with string/table/function replacement and max n, gmatch
/// with init, "invalid capture index", "malformed pattern", "pattern too complex" at 200 nested
/// levels like MAXCCALLS). `meter` must outlive the state; it is stored as a light userdata
/// upvalue. Leaves the stack as it was.
void open_bounded_patterns(lua_State* L, step_meter* meter);

} // namespace troupe::lua
