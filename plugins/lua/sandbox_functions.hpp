#pragma once
// The library functions the sandbox replaces. Each is a lua_CFunction called by the script
// directly, so its errors (and those of the stock function it runs on the same frame, see
// sandbox_support.hpp) read exactly as stock Lua 5.4's. The bounded ones charge their work to
// the state's run_guard before doing it. "Upvalue 1: stock" means the closure's upvalue 1 is the
// stock C function it completes.

#include <lua.hpp>

namespace troupe::lua::sandboxed {

/// pcall that re-raises a time, instruction or call-depth stop instead of returning it.
int pcall(lua_State* L);

/// xpcall that re-raises a stop instead of returning it; the message handler is not run for it.
int xpcall(lua_State* L);

/// coroutine.resume (upvalue 1: stock) that re-raises a stop. A coroutine it sees die from an
/// ordinary error is tagged so that close() may close it (sandbox_coroutines.cpp).
int resume(lua_State* L);

/// coroutine.close (upvalue 1: stock), stock semantics (runs the pending __close handlers under
/// the call's limits, re-raising a stop among them) except for an errored coroutine that resume
/// did not see die from an ordinary error (one a stop killed: Lua leaves hooks off on it, so its
/// handlers could run unbounded): answers false, "cannot close a coroutine stopped by a sandbox
/// limit" and leaves it as it is.
int close(lua_State* L);

/// coroutine.wrap as stock (errors prefixed with the caller's position, a failed coroutine
/// closed), except that a stop inside the coroutine is re-raised and never closes it.
int wrap(lua_State* L);

/// coroutine.create (upvalue 1: stock), remembering the new coroutine as the script's own.
int create(lua_State* L);

/// coroutine.running, coroutine.status, coroutine.isyieldable and coroutine.yield (upvalue 1:
/// stock) as stock Lua has them, every thread the script did not make (the main thread, the
/// thread of a call) being the main thread: running answers the state's main thread and true
/// there, status answers "running" or "normal" for the main thread, isyieldable false, and yield
/// there raises "attempt to yield from outside a coroutine". resume and close answer for the main
/// thread what stock answers for it.
int running(lua_State* L);
int status(lua_State* L);
int isyieldable(lua_State* L);
int yield(lua_State* L);

/// Makes the registry's set of the script's coroutines (create and wrap add to it).
/// REQUIRES: called once, by open_sandbox, before any script runs.
void open_script_coroutines(lua_State* L);

/// load (upvalue 1: stock) that refuses binary chunks (nil and "attempt to load a binary chunk
/// (the sandbox loads text chunks only)"), whether from a string or a reader function, and
/// charges the bytes compiled.
int load_text(lua_State* L);

/// setmetatable as stock, but a metatable with a __gc field is refused ("__gc metamethods are not
/// allowed in the sandbox").
int setmetatable(lua_State* L);

/// collectgarbage (upvalue 1: stock); "stop", "restart", "setpause", "setstepmul",
/// "generational" and "incremental" raise "collectgarbage('<option>') is not allowed in the
/// sandbox".
int collectgarbage(lua_State* L);

/// type as stock (same answers, same "value expected" error), answering the type names the
/// closure keeps as upvalues 1..9 (one per basic type, made by push_type) instead of interning
/// the name on every call as stock's lua_pushstring does.
int type(lua_State* L);

/// Pushes sandboxed::type as a closure over the nine type names.
void push_type(lua_State* L);

/// string.rep (upvalue 1: stock, upvalue 2: the string limit as an integer, 0: none).
int string_rep(lua_State* L);

/// table.concat (upvalue 2: the string limit as an integer, 0: none).
int table_concat(lua_State* L);

/// table.insert and table.remove: stock, with the elements they shift charged.
int table_insert(lua_State* L);
int table_remove(lua_State* L);

/// table.sort (upvalue 1: stock), charged n log n of the table's length first.
int table_sort(lua_State* L);

/// table.move (upvalue 1: stock), charged the number of elements moved first.
int table_move(lua_State* L);

} // namespace troupe::lua::sandboxed
