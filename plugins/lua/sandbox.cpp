#include "plugins/lua/sandbox.hpp"

#include <initializer_list>

#include "plugins/lua/bounded_patterns.hpp"
#include "plugins/lua/sandbox_functions.hpp"

namespace troupe::lua {

namespace {

/// Opens a stock library without making it global; leaves it on the stack.
void open_stock(lua_State* L, const char* name, lua_CFunction opener) {
  luaL_requiref(L, name, opener, 0);
}

/// Copies the named fields of the table at `from` into the table at `to`.
void copy_fields(lua_State* L, int from, int to, std::initializer_list<const char*> names) {
  from = lua_absindex(L, from);
  to = lua_absindex(L, to);
  for (const char* name : names) {
    lua_getfield(L, from, name);
    lua_setfield(L, to, name);
  }
}

/// Sets to[name] to a C closure of `fn` over from[name] (and an optional integer upvalue).
void wrap_field(lua_State* L, int from, int to, const char* name, lua_CFunction fn) {
  from = lua_absindex(L, from);
  to = lua_absindex(L, to);
  lua_getfield(L, from, name);
  lua_pushcclosure(L, fn, 1);
  lua_setfield(L, to, name);
}

void wrap_field(lua_State* L, int from, int to, const char* name, lua_CFunction fn,
                lua_Integer extra) {
  from = lua_absindex(L, from);
  to = lua_absindex(L, to);
  lua_getfield(L, from, name);
  lua_pushinteger(L, extra);
  lua_pushcclosure(L, fn, 2);
  lua_setfield(L, to, name);
}

void add_base(lua_State* L, int env, int base) {
  copy_fields(L, base, env,
              {"assert", "error", "getmetatable", "ipairs", "next", "pairs", "rawequal", "rawget",
               "rawlen", "rawset", "select", "tonumber", "tostring", "_VERSION"});
  sandboxed::push_type(L);
  lua_setfield(L, env, "type");
  lua_pushcfunction(L, sandboxed::pcall);
  lua_setfield(L, env, "pcall");
  lua_pushcfunction(L, sandboxed::xpcall);
  lua_setfield(L, env, "xpcall");
  wrap_field(L, base, env, "load", sandboxed::load_text);
  wrap_field(L, base, env, "setmetatable", sandboxed::setmetatable);
  wrap_field(L, base, env, "collectgarbage", sandboxed::collectgarbage);
  lua_pushvalue(L, env);
  lua_setfield(L, env, "_G");
}

void add_string(lua_State* L, int env, lua_Integer string_limit) {
  open_stock(L, LUA_STRLIBNAME, luaopen_string);
  int stock = lua_gettop(L);
  lua_newtable(L);
  int lib = lua_gettop(L);
  copy_fields(L, stock, lib,
              {"byte", "char", "format", "len", "lower", "pack", "packsize", "reverse", "sub",
               "unpack", "upper"});
  wrap_field(L, stock, lib, "rep", sandboxed::string_rep, string_limit);
  open_bounded_patterns(L, run_guard::of(L));
  // Strings index the sandbox's library, and their metatable cannot be read or changed.
  lua_pushliteral(L, "");
  if (lua_getmetatable(L, -1)) {
    lua_pushvalue(L, lib);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  lua_setfield(L, env, "string");
  lua_pop(L, 1);
}

void add_table(lua_State* L, int env, lua_Integer string_limit) {
  open_stock(L, LUA_TABLIBNAME, luaopen_table);
  int stock = lua_gettop(L);
  lua_newtable(L);
  int lib = lua_gettop(L);
  copy_fields(L, stock, lib, {"pack", "unpack"});
  wrap_field(L, stock, lib, "concat", sandboxed::table_concat, string_limit);
  wrap_field(L, stock, lib, "insert", sandboxed::table_insert);
  wrap_field(L, stock, lib, "remove", sandboxed::table_remove);
  wrap_field(L, stock, lib, "sort", sandboxed::table_sort);
  wrap_field(L, stock, lib, "move", sandboxed::table_move);
  lua_setfield(L, env, "table");
  lua_pop(L, 1);
}

void add_coroutine(lua_State* L, int env) {
  open_stock(L, LUA_COLIBNAME, luaopen_coroutine);
  int stock = lua_gettop(L);
  lua_newtable(L);
  int lib = lua_gettop(L);
  sandboxed::open_script_coroutines(L);
  wrap_field(L, stock, lib, "status", sandboxed::status);
  wrap_field(L, stock, lib, "create", sandboxed::create);
  wrap_field(L, stock, lib, "isyieldable", sandboxed::isyieldable);
  wrap_field(L, stock, lib, "running", sandboxed::running);
  wrap_field(L, stock, lib, "yield", sandboxed::yield);
  wrap_field(L, stock, lib, "resume", sandboxed::resume);
  wrap_field(L, stock, lib, "close", sandboxed::close);
  lua_pushcfunction(L, sandboxed::wrap);
  lua_setfield(L, lib, "wrap");
  lua_setfield(L, env, "coroutine");
  lua_pop(L, 1);
}

/// Points package.loaded (the registry's LOADED table, which scripts cannot reach) at the
/// sandbox's tables instead of the stock ones. luaL_argerror names a function that its caller's
/// code does not name (one called through pcall, say) by finding it there, as stock Lua does:
/// "bad argument #1 to 'string.rep'", not "to '?'".
void register_loaded(lua_State* L, int env) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  int loaded = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, loaded) != 0) { // drops the stock libraries the sandbox does not have
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, loaded);
  }
  lua_pushvalue(L, env);
  lua_setfield(L, loaded, LUA_GNAME);
  for (const char* name : {LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_COLIBNAME, LUA_MATHLIBNAME,
                           LUA_UTF8LIBNAME, LUA_OSLIBNAME}) {
    lua_getfield(L, env, name);
    lua_setfield(L, loaded, name);
  }
  lua_pop(L, 1);
}

/// Adds a fresh copy of every field of a stock library (math, utf8).
void add_copy(lua_State* L, int env, const char* name, lua_CFunction opener) {
  open_stock(L, name, opener);
  int stock = lua_gettop(L);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, stock) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_setfield(L, env, name);
  lua_pop(L, 1);
}

void add_os(lua_State* L, int env) {
  open_stock(L, LUA_OSLIBNAME, luaopen_os);
  int stock = lua_gettop(L);
  lua_newtable(L);
  copy_fields(L, stock, lua_gettop(L), {"time", "clock"});
  lua_setfield(L, env, "os");
  lua_pop(L, 1);
}

} // namespace

void open_sandbox(lua_State* L, std::size_t string_limit) {
  auto limit = static_cast<lua_Integer>(string_limit);
  lua_newtable(L);
  int env = lua_gettop(L);
  open_stock(L, LUA_GNAME, luaopen_base); // fills the stock globals table, never exposed
  add_base(L, env, lua_gettop(L));
  lua_pop(L, 1);
  add_string(L, env, limit);
  add_table(L, env, limit);
  add_coroutine(L, env);
  add_copy(L, env, LUA_MATHLIBNAME, luaopen_math);
  add_copy(L, env, LUA_UTF8LIBNAME, luaopen_utf8);
  add_os(L, env);
  register_loaded(L, env);
  // The environment becomes the globals every chunk loaded from now on sees.
  lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
}

} // namespace troupe::lua
