// table.insert, table.remove and table.concat as in Lua 5.4.4's ltablib.c, with the work they do
// inside their one C call charged before they do it; table.sort and table.move charged, then run
// by the stock functions on the script's own frame. Argument checks are stock's, in stock's order,
// so errors read exactly as stock Lua's, and metamethods (__len, __index) run as often as there.

#include <algorithm>
#include <climits>
#include <cmath>

#include "plugins/lua/sandbox_functions.hpp"
#include "plugins/lua/sandbox_support.hpp"

namespace troupe::lua::sandboxed {

namespace {

constexpr int tab_r = 1; // what a non-table must support to stand for one (ltablib.c's TAB_*)
constexpr int tab_w = 2;
constexpr int tab_l = 4;

bool has_field(lua_State* L, const char* key, int n) {
  lua_pushstring(L, key);
  return lua_rawget(L, -n) != LUA_TNIL;
}

/// ltablib.c's checktab: arg is a table or has the metamethods `what` needs.
void check_table(lua_State* L, int arg, int what) {
  if (lua_type(L, arg) == LUA_TTABLE)
    return;
  int n = 1;
  if (lua_getmetatable(L, arg) && (!(what & tab_r) || has_field(L, "__index", ++n))
      && (!(what & tab_w) || has_field(L, "__newindex", ++n))
      && (!(what & tab_l) || has_field(L, "__len", ++n)))
    lua_pop(L, n);
  else
    luaL_checktype(L, arg, LUA_TTABLE); // raises the stock error
}

lua_Integer checked_length(lua_State* L, int arg, int what) {
  check_table(L, arg, what | tab_l);
  return luaL_len(L, arg);
}

/// Charges moving or reading `count` elements (count may be huge or negative).
void charge_elements(lua_State* L, long double count) {
  if (count > 0)
    charge(L, static_cast<std::uint64_t>(std::min<long double>(count, 1e18L)) + 1);
}

/// What table.concat has built so far, checked against the string limit and charged as it grows.
struct concat_progress {
  lua_Integer limit;       ///< The string limit (0: none).
  std::size_t total = 0;   ///< Bytes added.
  std::size_t charged = 0; ///< Bytes already charged.
  std::uint64_t pending = 0; ///< Elements added since the last charge.

  void add(lua_State* L, std::size_t bytes) {
    total += bytes;
    if (limit > 0 && total > static_cast<std::size_t>(limit))
      luaL_error(L, "string size limit exceeded (%I bytes wanted, at most %I)",
                 static_cast<lua_Integer>(total), limit);
  }
  /// Charges one more element, and the bytes, in batches.
  void step(lua_State* L) {
    if (++pending >= 4096 || total - charged >= 4096 * bytes_per_step)
      flush(L);
  }
  void flush(lua_State* L) {
    charge(L, pending + (total - charged) / bytes_per_step + 1);
    pending = 0;
    charged = total;
  }
};

/// ltablib.c's addfield.
void add_field(lua_State* L, luaL_Buffer& b, lua_Integer i, concat_progress& progress) {
  lua_geti(L, 1, i);
  if (!lua_isstring(L, -1))
    luaL_error(L, "invalid value (%s) at index %I in table for 'concat'", luaL_typename(L, -1),
               static_cast<LUAI_UACINT>(i));
  std::size_t len = 0;
  lua_tolstring(L, -1, &len); // a number becomes its text, as luaL_addvalue would make it
  progress.add(L, len);
  luaL_addvalue(&b);
}

} // namespace

int table_insert(lua_State* L) {
  lua_Integer e = checked_length(L, 1, tab_r | tab_w);
  e = static_cast<lua_Integer>(static_cast<lua_Unsigned>(e) + 1u); // first empty element
  lua_Integer pos = e;
  switch (lua_gettop(L)) {
    case 2:
      break;
    case 3: {
      pos = luaL_checkinteger(L, 2);
      luaL_argcheck(L, static_cast<lua_Unsigned>(pos) - 1u < static_cast<lua_Unsigned>(e), 2,
                    "position out of bounds");
      charge_elements(L, static_cast<long double>(e) - static_cast<long double>(pos));
      for (lua_Integer i = e; i > pos; i--) {
        lua_geti(L, 1, i - 1);
        lua_seti(L, 1, i);
      }
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments to 'insert'");
  }
  lua_seti(L, 1, pos);
  return 0;
}

int table_remove(lua_State* L) {
  lua_Integer size = checked_length(L, 1, tab_r | tab_w);
  lua_Integer pos = luaL_optinteger(L, 2, size);
  if (pos != size)
    luaL_argcheck(L, static_cast<lua_Unsigned>(pos) - 1u <= static_cast<lua_Unsigned>(size), 1,
                  "position out of bounds");
  charge_elements(L, static_cast<long double>(size) - static_cast<long double>(pos));
  lua_geti(L, 1, pos);
  for (; pos < size; pos++) {
    lua_geti(L, 1, pos + 1);
    lua_seti(L, 1, pos);
  }
  lua_pushnil(L);
  lua_seti(L, 1, pos);
  return 1;
}

int table_concat(lua_State* L) {
  lua_Integer last = checked_length(L, 1, tab_r);
  std::size_t lsep = 0;
  const char* sep = luaL_optlstring(L, 2, "", &lsep);
  lua_Integer i = luaL_optinteger(L, 3, 1);
  last = luaL_optinteger(L, 4, last);
  concat_progress progress{lua_tointeger(L, lua_upvalueindex(2))};
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (; i < last; i++) {
    add_field(L, b, i, progress);
    progress.add(L, lsep);
    luaL_addlstring(&b, sep, lsep);
    progress.step(L);
  }
  if (i == last)
    add_field(L, b, i, progress);
  progress.flush(L);
  luaL_pushresult(&b);
  return 1;
}

int table_sort(lua_State* L) {
  // The stock sort measures the table again: __len runs twice when the table has one.
  lua_Integer n = checked_length(L, 1, tab_r | tab_w);
  if (n > 1 && n < INT_MAX) { // otherwise stock sorts nothing or raises "array too big"
    auto count = static_cast<long double>(n);
    charge_elements(L, count * std::max(1.0L, std::log2(count)));
  }
  return call_stock_here(L);
}

int table_move(lua_State* L) {
  lua_Integer f = luaL_checkinteger(L, 2);
  lua_Integer e = luaL_checkinteger(L, 3);
  lua_Integer t = luaL_checkinteger(L, 4);
  // Charged only where stock would move: its own checks (same order, same words) come first.
  int tt = !lua_isnoneornil(L, 5) ? 5 : 1;
  check_table(L, 1, tab_r);
  check_table(L, tt, tab_w);
  if (e >= f) {
    luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
    lua_Integer n = e - f + 1;
    luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
    charge_elements(L, static_cast<long double>(n));
  }
  return call_stock_here(L);
}

} // namespace troupe::lua::sandboxed
