#pragma once
// The library functions the sandbox replaces. Each is a lua_CFunction; the bounded ones charge
// their work to the state's run_guard before doing it. Most take the stock function as upvalue 1.

#include <lua.hpp>

namespace troupe::lua::sandboxed {

/// pcall that re-raises a time or instruction stop instead of returning it.
int pcall(lua_State* L);

/// xpcall that re-raises a time or instruction stop instead of returning it.
int xpcall(lua_State* L);

/// coroutine.close (upvalue 1: the stock one, made sticky). A coroutine that died with an error
/// is not closed again: when a stop was raised from the count hook, Lua leaves hooks disabled on
/// that thread, so its to-be-closed variables could run unbounded. Answers false and the error.
int close(lua_State* L);

/// coroutine.resume (upvalue 1: the stock one) that re-raises a stop.
int sticky(lua_State* L);

/// load (upvalue 1: the stock load) that only accepts text chunks.
int load_text(lua_State* L);

/// setmetatable (upvalue 1: the stock one) that refuses metatables with __gc.
int setmetatable(lua_State* L);

/// collectgarbage (upvalue 1: the stock one) limited to count, collect, step and isrunning.
int collectgarbage(lua_State* L);

/// string.rep (upvalue 1: stock, upvalue 2: the string limit as an integer).
int string_rep(lua_State* L);

/// table.concat (upvalue 1: stock, upvalue 2: the string limit as an integer).
int table_concat(lua_State* L);

/// table.insert, table.remove, table.sort and table.move (upvalue 1: stock; upvalue 2: the
/// cost model, 0 = length of arg 1, 1 = n log n of it, 2 = the range of table.move).
int charged_by_length(lua_State* L);

} // namespace troupe::lua::sandboxed
