#pragma once
// Helpers shared by the sandbox's replacement library functions (sandbox_functions.cpp,
// sandbox_coroutines.cpp, sandbox_tables.cpp). Internal to plugins/lua.

#include <cstdint>
#include <cstdlib>

#include <lua.hpp>

#include "plugins/lua/run_guard.hpp"

namespace troupe::lua::sandboxed {

/// Work units charged per byte a library function produces or reads.
constexpr std::uint64_t bytes_per_step = 16;

/// Charges `steps` units of work to L's run guard; raises a stop past a limit.
inline void charge(lua_State* L, std::uint64_t steps) {
  if (auto* guard = run_guard::of(L))
    guard->charge(L, steps);
}

/// True while the current run is stopped (time, instructions or call depth).
inline bool stopped(lua_State* L) {
  auto* guard = run_guard::of(L);
  return guard != nullptr && guard->stopped() != stop_reason::none;
}

/// Re-raises a stop that a protected call (or a coroutine) just caught.
inline void reraise_if_stopped(lua_State* L) {
  if (stopped(L))
    run_guard::of(L)->raise_stop(L);
}

/// Runs the stock library function (upvalue 1 of the running closure) on the running closure's
/// own frame, with the same stack. Its errors then see the script's call exactly as if the script
/// had called it: luaL_argerror names the function as the script's call does, and luaL_error
/// prefixes the script's "file:line:". REQUIRES: upvalue 1 is a C function that uses no upvalues
/// of its own (true of every stock function the sandbox wraps).
inline int call_stock_here(lua_State* L) {
  lua_CFunction stock = lua_tocfunction(L, lua_upvalueindex(1));
  if (stock == nullptr)
    std::abort(); // a wiring error in open_sandbox, not something a script can cause
  return stock(L);
}

} // namespace troupe::lua::sandboxed
