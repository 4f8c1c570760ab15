#include "plugins/lua/sandbox_functions.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <limits>

#include "plugins/lua/sandbox_support.hpp"

// The sandbox's pcall, xpcall, load, setmetatable, collectgarbage and string.rep. Each runs on
// the frame the script called, and argument checks are the stock ones (same order, same words),
// so every error a script can see is byte-identical to stock Lua 5.4's unless it is one of the
// sandbox's own refusals.

namespace troupe::lua::sandboxed {

namespace {

int finish_pcall(lua_State* L, int status, lua_KContext extra) {
  if (status != LUA_OK && status != LUA_YIELD) {
    reraise_if_stopped(L);
    lua_pushboolean(L, 0);
    lua_pushvalue(L, -2);
    return 2;
  }
  return lua_gettop(L) - static_cast<int>(extra);
}

[[noreturn]] void string_too_long(lua_State* L, std::uint64_t wanted, lua_Integer limit) {
  luaL_error(L, "string size limit exceeded (%I bytes wanted, at most %I)",
             static_cast<lua_Integer>(std::min<std::uint64_t>(
               wanted, static_cast<std::uint64_t>(std::numeric_limits<lua_Integer>::max()))),
             limit);
  std::abort();
}

constexpr const char* binary_refused =
  "attempt to load a binary chunk (the sandbox loads text chunks only)";

bool is_binary(const char* s, std::size_t len) {
  return len > 0 && s[0] == LUA_SIGNATURE[0];
}

/// Compiling is a long C call: charged by the bytes compiled.
void charge_compile(lua_State* L, std::size_t bytes) {
  charge(L, bytes / bytes_per_step * 4 + 1);
}

/// load's reader (upvalue 1: the script's reader; upvalue 2: true while the first piece, which
/// tells a binary chunk from a text one, has still to be checked). Charges what it reads.
int checked_reader(lua_State* L) {
  lua_settop(L, 0);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_call(L, 0, 1);
  bool first = lua_toboolean(L, lua_upvalueindex(2));
  if (first) {
    lua_pushboolean(L, 0);
    lua_replace(L, lua_upvalueindex(2));
  }
  if (lua_type(L, 1) == LUA_TSTRING) {
    std::size_t len = 0;
    const char* piece = lua_tolstring(L, 1, &len);
    if (first && is_binary(piece, len)) {
      lua_pushstring(L, binary_refused);
      return lua_error(L); // load answers nil and this message
    }
    charge_compile(L, len);
  }
  return 1;
}

/// collectgarbage options stock Lua has and the sandbox refuses.
bool refused_gc_option(const char* option) {
  for (const char* refused :
       {"stop", "restart", "setpause", "setstepmul", "generational", "incremental"})
    if (std::strcmp(option, refused) == 0)
      return true;
  return false;
}

} // namespace

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
  if (stopped(L))
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

int type(lua_State* L) {
  int t = lua_type(L, 1);
  luaL_argcheck(L, t != LUA_TNONE, 1, "value expected");
  lua_pushvalue(L, lua_upvalueindex(t + 1));
  return 1;
}

void push_type(lua_State* L) {
  luaL_checkstack(L, LUA_NUMTYPES + 1, "type");
  for (int t = 0; t < LUA_NUMTYPES; ++t)
    lua_pushstring(L, lua_typename(L, t));
  lua_pushcclosure(L, sandboxed::type, LUA_NUMTYPES);
}

int load_text(lua_State* L) {
  const char* mode = luaL_optstring(L, 3, "bt"); // stock checks argument 3 first
  const bool binary_allowed = std::strchr(mode, 'b') != nullptr;
  if (lua_type(L, 1) == LUA_TSTRING) {
    std::size_t len = 0;
    const char* chunk = lua_tolstring(L, 1, &len);
    charge_compile(L, len);
    if (binary_allowed && is_binary(chunk, len)) {
      luaL_pushfail(L);
      lua_pushstring(L, binary_refused);
      return 2;
    }
  } else if (lua_type(L, 1) == LUA_TFUNCTION) {
    lua_pushvalue(L, 1);
    lua_pushboolean(L, binary_allowed);
    lua_pushcclosure(L, checked_reader, 2);
    lua_replace(L, 1);
  }
  // A mode without 'b' is passed on as is (stock refuses binary chunks itself and words it).
  // Otherwise binary chunks were refused above, and "t" (if asked) keeps it so in depth. (With
  // no argument at all stock raises "got no value": the arguments are left as they are.)
  if (binary_allowed && std::strchr(mode, 't') != nullptr && !lua_isnone(L, 1)) {
    lua_settop(L, std::max(lua_gettop(L), 3)); // keeps argument 4 (env) absent if it was
    lua_pushliteral(L, "t");
    lua_replace(L, 3);
  }
  int results = call_stock_here(L);
  reraise_if_stopped(L); // a stop inside a reader function
  return results;
}

int setmetatable(lua_State* L) {
  // luaB_setmetatable of Lua 5.4.4, with the sandbox's __gc refusal before the change.
  int t = lua_type(L, 2);
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
  if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
    return luaL_error(L, "cannot change a protected metatable");
  if (t == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL)
      return luaL_error(L, "__gc metamethods are not allowed in the sandbox");
    lua_pop(L, 1);
  }
  lua_settop(L, 2);
  lua_setmetatable(L, 1);
  return 1;
}

int collectgarbage(lua_State* L) {
  const char* option = luaL_optstring(L, 1, "collect");
  if (refused_gc_option(option))
    return luaL_error(L, "collectgarbage('%s') is not allowed in the sandbox", option);
  return call_stock_here(L); // words an unknown option as stock does
}

int string_rep(lua_State* L) {
  std::size_t len = 0;
  std::size_t sep = 0;
  luaL_checklstring(L, 1, &len);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &sep);
  lua_Integer limit = lua_tointeger(L, lua_upvalueindex(2));
  // Past stock's own bound (INT_MAX bytes) stock raises "resulting string too large".
  auto max_size = static_cast<std::size_t>(INT_MAX);
  bool stock_refuses = n > 0 && (len + sep < len
                                 || len + sep > max_size / static_cast<std::size_t>(n));
  if (n > 0 && !stock_refuses) {
    // Computed in long double so that a huge n cannot overflow the check.
    long double total = static_cast<long double>(len) * static_cast<long double>(n)
                        + static_cast<long double>(sep) * static_cast<long double>(n - 1);
    if (limit > 0 && total > static_cast<long double>(limit))
      string_too_long(L, static_cast<std::uint64_t>(std::min<long double>(total, 1e18L)), limit);
    // The stock rep loops n times even for an empty string.
    auto loops = static_cast<long double>(n) / bytes_per_step;
    charge(L, static_cast<std::uint64_t>(std::min<long double>(total / bytes_per_step + loops, 1e18L)) + 1);
  }
  return call_stock_here(L);
}

} // namespace troupe::lua::sandboxed
