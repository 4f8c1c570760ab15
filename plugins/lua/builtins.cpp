#include "plugins/lua/builtins.hpp"

#include <cctype>
#include <chrono>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "plugins/lua/lua_json.hpp"
#include "plugins/lua/run_guard.hpp"

namespace troupe::lua {

namespace {

const std::string& plugin_id(lua_State* L) {
  return *static_cast<const std::string*>(lua_touserdata(L, lua_upvalueindex(1)));
}

/// Joins every argument with spaces, as print does (__tostring and __name respected).
std::string joined_arguments(lua_State* L) {
  std::string text;
  int n = lua_gettop(L);
  for (int i = 1; i <= n; ++i) {
    std::size_t len = 0;
    const char* s = luaL_tolstring(L, i, &len);
    if (i > 1)
      text += ' ';
    text.append(s, len);
    lua_pop(L, 1);
  }
  return text;
}

/// Logs the arguments at `Level`. They are turned into text whether or not the level is logged,
/// as stock print does: a `__tostring` runs (and is charged) the same either way.
template <spdlog::level::level_enum Level>
int log_at(lua_State* L) {
  auto text = joined_arguments(L);
  if (spdlog::should_log(Level))
    spdlog::log(Level, "[{}] {}", plugin_id(L), text);
  return 0;
}

int now(lua_State* L) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::system_clock::now().time_since_epoch());
  lua_pushinteger(L, static_cast<lua_Integer>(ms.count()));
  return 1;
}

std::string_view check_view(lua_State* L, int arg) {
  std::size_t len = 0;
  const char* s = luaL_checklstring(L, arg, &len);
  if (auto* guard = run_guard::of(L))
    guard->charge(L, len / 16 + 1);
  return {s, len};
}

void push(lua_State* L, std::string_view s) {
  lua_pushlstring(L, s.data(), s.size());
}

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

int trim(lua_State* L) {
  auto s = check_view(L, 1);
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && is_space(s[b]))
    ++b;
  while (e > b && is_space(s[e - 1]))
    --e;
  push(L, s.substr(b, e - b));
  return 1;
}

template <int (*Convert)(int)>
int convert_case(lua_State* L) {
  auto s = check_view(L, 1);
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(Convert(static_cast<unsigned char>(c)));
  push(L, out);
  return 1;
}

int split(lua_State* L) {
  auto s = check_view(L, 1);
  lua_newtable(L);
  lua_Integer n = 0;
  if (lua_isnoneornil(L, 2)) {
    std::size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && is_space(s[i]))
        ++i;
      std::size_t start = i;
      while (i < s.size() && !is_space(s[i]))
        ++i;
      if (i > start) {
        push(L, s.substr(start, i - start));
        lua_rawseti(L, -2, ++n);
      }
    }
    return 1;
  }
  std::size_t sep_len = 0;
  const char* sep_text = luaL_checklstring(L, 2, &sep_len);
  std::string_view sep{sep_text, sep_len};
  if (sep.empty())
    return luaL_argerror(L, 2, "separator must not be empty");
  std::size_t start = 0;
  for (;;) {
    auto at = s.find(sep, start);
    auto end = at == std::string_view::npos ? s.size() : at;
    push(L, s.substr(start, end - start));
    lua_rawseti(L, -2, ++n);
    if (at == std::string_view::npos)
      break;
    start = at + sep.size();
  }
  return 1;
}

int starts_with(lua_State* L) {
  auto s = check_view(L, 1);
  auto p = check_view(L, 2);
  lua_pushboolean(L, s.substr(0, p.size()) == p);
  return 1;
}

int ends_with(lua_State* L) {
  auto s = check_view(L, 1);
  auto p = check_view(L, 2);
  lua_pushboolean(L, s.size() >= p.size() && s.substr(s.size() - p.size()) == p);
  return 1;
}

int contains(lua_State* L) {
  auto s = check_view(L, 1);
  auto p = check_view(L, 2);
  lua_pushboolean(L, s.find(p) != std::string_view::npos);
  return 1;
}

void set_tagged(lua_State* L, const std::string* id, const char* name, lua_CFunction fn) {
  lua_pushlightuserdata(L, const_cast<std::string*>(id));
  lua_pushcclosure(L, fn, 1);
  lua_setfield(L, -2, name);
}

void set_plain(lua_State* L, const char* name, lua_CFunction fn) {
  lua_pushcfunction(L, fn);
  lua_setfield(L, -2, name);
}

} // namespace

void open_builtins(lua_State* L, const std::string* id, key_cache* keys) {
  lua_pushglobaltable(L);
  set_tagged(L, id, "log", log_at<spdlog::level::info>);
  set_tagged(L, id, "print", log_at<spdlog::level::info>);
  set_tagged(L, id, "debug", log_at<spdlog::level::debug>);
  set_tagged(L, id, "warn", log_at<spdlog::level::warn>);
  set_plain(L, "now", now);
  set_plain(L, "trim", trim);
  set_plain(L, "upper", convert_case<std::toupper>);
  set_plain(L, "lower", convert_case<std::tolower>);
  set_plain(L, "split", split);
  set_plain(L, "starts_with", starts_with);
  set_plain(L, "ends_with", ends_with);
  set_plain(L, "contains", contains);
  if (keys != nullptr) {
    lua_pushlightuserdata(L, keys);
    lua_pushcclosure(L, json_parse, 1);
    lua_setfield(L, -2, "json_parse");
  } else {
    set_plain(L, "json_parse", json_parse);
  }
  set_plain(L, "json_encode", json_encode);
  lua_pop(L, 1);
}

} // namespace troupe::lua
