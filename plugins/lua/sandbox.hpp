#pragma once
// The environment a Lua plugin's script sees, built from an allow-list, and the library
// functions replaced by bounded or sticky versions. Documented in docs/lua-plugins.md.
//
// Allowed: assert error getmetatable ipairs next pairs rawequal rawget rawlen rawset select
// tonumber tostring type _VERSION _G; pcall and xpcall (they cannot catch a time or instruction
// stop); load (text chunks only); setmetatable (no __gc); print (to the log); collectgarbage
// ("count", "collect", "step", "isrunning"); string (no dump; rep and the pattern functions
// bounded); table (concat, insert, remove, move, sort bounded); math; utf8; coroutine (resume,
// wrap and close cannot catch a stop); os.time and os.clock. Not there: io, os.*, package,
// require, debug, dofile, loadfile, string.dump. The string metatable is protected. Where a
// function is allowed it behaves (results, error messages) exactly as stock Lua 5.4.4's.

#include <lua.hpp>

#include "plugins/lua/run_guard.hpp"

namespace troupe::lua {

/// Replaces L's globals with the sandbox environment. Must run inside a protected call on a
/// fresh state whose guard is attached (run_guard::attach). `string_limit` caps string.rep and
/// table.concat results (0: unlimited).
void open_sandbox(lua_State* L, std::size_t string_limit);

} // namespace troupe::lua
