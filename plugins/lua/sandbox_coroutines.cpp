// coroutine.resume, coroutine.close and coroutine.wrap as in Lua 5.4.4's lcorolib.c, except that
// a stop (time, instructions, call depth) is never caught and a coroutine that died from a stop
// is never closed.
//
// Why: a stop is raised with lua_error from inside the count hook. Lua turns hooks off on a thread
// while its hook runs (allowhook = 0) and only a pcall inside that thread restores them, so a
// coroutine that died from a stop keeps hooks off for good; closing it would run its __close
// handlers where no limit can stop them. A coroutine that died from an ordinary error still has
// hooks on and is closed exactly as stock Lua closes it.
//
// How a dead coroutine is told apart: when the sandbox's resume sees a coroutine die from an
// ordinary error (no stop pending), it pushes a tag (a light userdata no script can make) on the
// dead coroutine's stack, where stock Lua leaves a free slot. close closes an errored coroutine
// only if it carries the tag (removed first, so stock close sees the stack stock Lua would have).
// Any other errored coroutine (a stop, or a thread the sandbox did not resume) is refused: safe
// by default. (A call's own coroutine never reaches close: scripts cannot get hold of it.)
//
// The host runs each call (execute, a tool handler) in a coroutine of its own, so that
// call_plugin can suspend it. To the script every thread it did not make (the main thread, a
// call's own) is the one main thread of a stock Lua program: coroutine.running() there answers
// the state's main thread and true, so `coroutine.running() == main` holds as in stock whether
// `main` was taken at load or in a call, and no script ever gets hold of a call's thread;
// coroutine.isyieldable() answers false there, coroutine.yield() raises stock's catchable
// "attempt to yield from outside a coroutine" instead of suspending the call, and status, resume
// and close treat the main thread as stock treats it (running or normal; never resumed nor
// closed). The sandbox tells the threads apart by remembering the coroutines the script makes
// (coroutine.create and coroutine.wrap) in a weak-keyed registry table.

#include "plugins/lua/sandbox_functions.hpp"
#include "plugins/lua/sandbox_support.hpp"

namespace troupe::lua::sandboxed {

namespace {

/// Its address tags a coroutine that died from an ordinary error.
const char ordinary_death_tag = 0;

/// Its address is the registry key of the weak-keyed set of the coroutines the script made.
const char script_coroutines_key = 0;

/// Adds the thread at idx to the set of the script's coroutines.
void remember_coroutine(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &script_coroutines_key);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

/// True if the thread at idx is one the script made (not the main thread nor a call's own).
bool made_by_script(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 2, nullptr);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &script_coroutines_key);
  lua_pushvalue(L, idx);
  bool made = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  return made;
}

/// True if L, the running thread, is one the script made.
bool running_made_by_script(lua_State* L) {
  luaL_checkstack(L, 1, nullptr);
  lua_pushthread(L);
  bool made = made_by_script(L, -1);
  lua_pop(L, 1);
  return made;
}

bool died_with_error(lua_State* co) {
  int status = lua_status(co);
  return status != LUA_OK && status != LUA_YIELD;
}

void tag_ordinary_death(lua_State* co) {
  if (lua_checkstack(co, 1)) // never raises; untagged only means "not closable"
    lua_pushlightuserdata(co, const_cast<char*>(&ordinary_death_tag));
}

/// Removes the tag if co carries it; true if it did.
bool take_tag(lua_State* co) {
  if (lua_gettop(co) == 0 || lua_type(co, -1) != LUA_TLIGHTUSERDATA
      || lua_touserdata(co, -1) != &ordinary_death_tag)
    return false;
  lua_pop(co, 1);
  return true;
}

/// lcorolib.c's auxresume: resumes co with narg values from L; the number of results moved to
/// L, or -1 with the error on top of L.
int aux_resume(lua_State* L, lua_State* co, int narg) {
  if (!lua_checkstack(co, narg)) {
    lua_pushliteral(L, "too many arguments to resume");
    return -1;
  }
  lua_xmove(L, co, narg);
  int nres = 0;
  int status = lua_resume(co, L, narg, &nres);
  if (status == LUA_OK || status == LUA_YIELD) {
    if (!lua_checkstack(L, nres + 1)) {
      lua_pop(co, nres);
      lua_pushliteral(L, "too many results to resume");
      return -1;
    }
    lua_xmove(co, L, nres);
    return nres;
  }
  lua_xmove(co, L, 1);
  return -1;
}

/// lcorolib.c's auxwrap over the coroutine in upvalue 1, with the stop re-raised before the
/// failed coroutine would be closed, and a coroutine that died from a stop never closed.
int wrapped_resume(lua_State* L) {
  lua_State* co = lua_tothread(L, lua_upvalueindex(1));
  bool was_dead = died_with_error(co); // only if a stop killed it, or coroutine.resume did
  int r = aux_resume(L, co, lua_gettop(L));
  reraise_if_stopped(L);
  if (r >= 0)
    return r;
  int status = lua_status(co);
  if (status != LUA_OK && status != LUA_YIELD) { // an error in the coroutine
    if (!was_dead || take_tag(co)) {
      status = lua_resetthread(co); // runs its pending __close handlers
      reraise_if_stopped(L);        // a stop inside one of them
      lua_xmove(co, L, 1);
    }
  }
  if (status != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
  }
  return lua_error(L);
}

} // namespace

int resume(lua_State* L) {
  lua_State* co = lua_tothread(L, 1);
  if (co != nullptr && !made_by_script(L, 1)) { // the main thread: stock's answer for it
    lua_pushboolean(L, 0);
    lua_pushliteral(L, "cannot resume non-suspended coroutine");
    return 2;
  }
  bool could_die = co != nullptr && !died_with_error(co);
  int results = call_stock_here(L);
  reraise_if_stopped(L);
  if (could_die && died_with_error(co))
    tag_ordinary_death(co);
  return results;
}

int close(lua_State* L) {
  reraise_if_stopped(L);
  lua_State* co = lua_tothread(L, 1);
  if (co != nullptr && died_with_error(co) && !take_tag(co)) {
    lua_pushboolean(L, 0);
    lua_pushliteral(L, "cannot close a coroutine stopped by a sandbox limit");
    return 2;
  }
  if (co != nullptr && !made_by_script(L, 1)) // the main thread: as stock, never closed
    return luaL_error(L, "cannot close a %s coroutine",
                      running_made_by_script(L) ? "normal" : "running");
  int results = call_stock_here(L);
  reraise_if_stopped(L);
  return results;
}

int create(lua_State* L) {
  int results = call_stock_here(L);
  remember_coroutine(L, -1);
  return results;
}

int wrap(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_State* co = lua_newthread(L);
  remember_coroutine(L, -1);
  lua_pushvalue(L, 1);
  lua_xmove(L, co, 1);
  lua_pushcclosure(L, wrapped_resume, 1);
  return 1;
}

int running(lua_State* L) {
  if (running_made_by_script(L))
    return call_stock_here(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  lua_pushboolean(L, 1);
  return 2;
}

int status(lua_State* L) {
  if (lua_tothread(L, 1) == nullptr || made_by_script(L, 1))
    return call_stock_here(L); // a script's coroutine, or stock's argument error
  if (running_made_by_script(L))
    lua_pushliteral(L, "normal");
  else
    lua_pushliteral(L, "running");
  return 1;
}

int isyieldable(lua_State* L) {
  const bool own = lua_isnone(L, 1);
  int results = call_stock_here(L); // checks the argument as stock does
  if (own ? !running_made_by_script(L) : !made_by_script(L, 1)) {
    lua_pushboolean(L, 0);
    lua_replace(L, -2);
  }
  return results;
}

int yield(lua_State* L) {
  if (!running_made_by_script(L)) {
    lua_pushliteral(L, "attempt to yield from outside a coroutine");
    return lua_error(L);
  }
  return call_stock_here(L);
}

void open_script_coroutines(lua_State* L) {
  lua_newtable(L);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &script_coroutines_key);
}

} // namespace troupe::lua::sandboxed
