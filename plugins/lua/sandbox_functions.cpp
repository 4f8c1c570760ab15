#include "plugins/lua/sandbox_functions.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include "plugins/lua/run_guard.hpp"

namespace troupe::lua::sandboxed {

namespace {

/// Work units charged per byte a library function produces.
constexpr std::uint64_t bytes_per_step = 16;

void charge(lua_State* L, std::uint64_t steps) {
  if (auto* guard = run_guard::of(L))
    guard->charge(L, steps);
}

/// Re-raises a stop that a protected call just caught.
void reraise_if_stopped(lua_State* L) {
  auto* guard = run_guard::of(L);
  if (guard != nullptr && guard->stopped() != stop_reason::none)
    guard->raise_stop(L);
}

int finish_pcall(lua_State* L, int status, lua_KContext extra) {
  if (status != LUA_OK && status != LUA_YIELD) {
    reraise_if_stopped(L);
    lua_pushboolean(L, 0);
    lua_pushvalue(L, -2);
    return 2;
  }
  return lua_gettop(L) - static_cast<int>(extra);
}

/// Calls upvalue 1 with every argument, returning all its results.
int call_stock(lua_State* L) {
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  return lua_gettop(L);
}

[[noreturn]] void string_too_long(lua_State* L, std::uint64_t wanted, lua_Integer limit) {
  luaL_error(L, "string size limit exceeded (%I bytes wanted, at most %I)",
             static_cast<lua_Integer>(std::min<std::uint64_t>(
               wanted, static_cast<std::uint64_t>(std::numeric_limits<lua_Integer>::max()))),
             limit);
  std::abort();
}

} // namespace

int close(lua_State* L) {
  lua_State* co = lua_tothread(L, 1);
  luaL_argexpected(L, co != nullptr, 1, "coroutine");
  int status = lua_status(co);
  if (status != LUA_OK && status != LUA_YIELD) {
    lua_pushboolean(L, 0);
    if (lua_gettop(co) > 0) {
      lua_pushvalue(co, -1);
      lua_xmove(co, L, 1);
    } else {
      lua_pushnil(L);
    }
    return 2;
  }
  return sticky(L);
}

int pcall(lua_State* L) {
  luaL_checkany(L, 1);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  int status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0, finish_pcall);
  return finish_pcall(L, status, 0);
}

/// xpcall's message handler (upvalue 1: the script's). After a stop it answers the error as is
/// without running the script's handler: Lua runs handlers where hooks are off.
int guarded_handler(lua_State* L) {
  auto* guard = run_guard::of(L);
  if (guard != nullptr && guard->stopped() != stop_reason::none)
    return 1;
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

int xpcall(lua_State* L) {
  int n = lua_gettop(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, guarded_handler, 1);
  lua_replace(L, 2);
  lua_pushboolean(L, 1);  // first result if no error
  lua_pushvalue(L, 1);    // the function
  lua_rotate(L, 3, 2);    // [f, handler, true, f, args...]
  int status = lua_pcallk(L, n - 2, LUA_MULTRET, 2, 2, finish_pcall);
  return finish_pcall(L, status, 2);
}

int sticky(lua_State* L) {
  int results = call_stock(L);
  reraise_if_stopped(L);
  return results;
}

int load_text(lua_State* L) {
  if (lua_type(L, 1) == LUA_TSTRING)
    charge(L, lua_rawlen(L, 1) / bytes_per_step * 4 + 1); // compiling is a long C call
  lua_settop(L, std::max(lua_gettop(L), 3));
  lua_pushliteral(L, "t"); // text only, whatever the script asked for
  lua_replace(L, 3);
  return call_stock(L);
}

int setmetatable(lua_State* L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL)
      return luaL_error(L, "__gc metamethods are not allowed in the sandbox");
    lua_pop(L, 1);
  }
  return call_stock(L);
}

int collectgarbage(lua_State* L) {
  const char* option = luaL_optstring(L, 1, "collect");
  for (const char* allowed : {"collect", "count", "step", "isrunning"})
    if (std::strcmp(option, allowed) == 0)
      return call_stock(L);
  return luaL_error(L, "collectgarbage('%s') is not allowed in the sandbox", option);
}

int string_rep(lua_State* L) {
  std::size_t len = 0;
  std::size_t sep = 0;
  luaL_checklstring(L, 1, &len);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &sep);
  lua_Integer limit = lua_tointeger(L, lua_upvalueindex(2));
  if (n > 0) {
    // Computed in long double so that a huge n cannot overflow the check.
    long double total = static_cast<long double>(len) * static_cast<long double>(n)
                        + static_cast<long double>(sep) * static_cast<long double>(n - 1);
    if (limit > 0 && total > static_cast<long double>(limit))
      string_too_long(L, static_cast<std::uint64_t>(std::min<long double>(total, 1e18L)), limit);
    // The stock rep loops n times even for an empty string.
    auto loops = static_cast<long double>(n) / bytes_per_step;
    charge(L, static_cast<std::uint64_t>(std::min<long double>(total / bytes_per_step + loops, 1e18L)) + 1);
  }
  return call_stock(L);
}

int table_concat(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  std::size_t sep = 0;
  luaL_optlstring(L, 2, "", &sep);
  lua_Integer first = luaL_optinteger(L, 3, 1);
  lua_Integer last = lua_isnoneornil(L, 4) ? luaL_len(L, 1) : luaL_checkinteger(L, 4);
  lua_Integer limit = lua_tointeger(L, lua_upvalueindex(2));
  std::uint64_t total = 0;
  std::uint64_t count = 0;
  // Measures first, so that the stock concat never builds a string past the limit. Stops at the
  // first value that is not a string or number (the stock function then reports it).
  for (lua_Integer i = first; i <= last; ++i) {
    int type = lua_geti(L, 1, i);
    std::size_t len = 0;
    if (type == LUA_TSTRING)
      len = lua_rawlen(L, -1);
    else if (type == LUA_TNUMBER)
      len = 24;
    lua_pop(L, 1);
    if (type != LUA_TSTRING && type != LUA_TNUMBER)
      break;
    total += len + (i > first ? sep : 0);
    if (limit > 0 && total > static_cast<std::uint64_t>(limit))
      string_too_long(L, total, limit);
    if (++count % 4096 == 0)
      charge(L, 4096);
    if (i == std::numeric_limits<lua_Integer>::max())
      break;
  }
  charge(L, count % 4096 + total / bytes_per_step + 1);
  return call_stock(L);
}

int charged_by_length(lua_State* L) {
  auto model = lua_tointeger(L, lua_upvalueindex(2));
  double cost = 1;
  if (model == 2) { // table.move(a1, f, e, t [,a2])
    lua_Integer f = luaL_checkinteger(L, 2);
    lua_Integer e = luaL_checkinteger(L, 3);
    if (e >= f)
      cost += static_cast<double>(e) - static_cast<double>(f);
  } else {
    luaL_checktype(L, 1, LUA_TTABLE);
    auto n = static_cast<double>(luaL_len(L, 1));
    if (n > 0)
      cost += model == 1 ? n * std::max(1.0, std::log2(n)) : n;
  }
  charge(L, cost > 1e18 ? std::uint64_t{1000000000000000000ULL} : static_cast<std::uint64_t>(cost));
  return call_stock(L);
}

} // namespace troupe::lua::sandboxed
