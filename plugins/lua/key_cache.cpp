#include "plugins/lua/key_cache.hpp"

#include <cstring>

namespace troupe::lua {

namespace {

/// A cheap spread of short strings over the slots: the length and three of the bytes.
std::size_t slot_of(const char* s, std::size_t n) {
  auto b = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(s[i])); };
  std::size_t h = n * 131 + b(0) * 31 + b(n / 2) * 7 + b(n - 1);
  return (h ^ (h >> 6)) % key_cache::slots;
}

/// memcmp for a few bytes, without a call through the PLT.
bool same_bytes(const char* a, const char* b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i])
      return false;
  return true;
}

} // namespace

void key_cache::push(lua_State* L, const char* s, std::size_t n) {
  if (n == 0 || n > max_bytes) {
    lua_pushlstring(L, s, n);
    return;
  }
  slot& e = slots_[slot_of(s, n)];
  if (e.ref != LUA_NOREF && e.size == n && same_bytes(e.bytes, s, n)) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, e.ref);
    return;
  }
  lua_pushlstring(L, s, n);
  lua_pushvalue(L, -1);
  if (e.ref == LUA_NOREF) {
    e.ref = luaL_ref(L, LUA_REGISTRYINDEX); // may raise: the slot stays empty then
  } else {
    lua_rawseti(L, LUA_REGISTRYINDEX, e.ref); // the slot exists: replacing cannot fail
  }
  std::memcpy(e.bytes, s, n);
  e.size = static_cast<std::uint8_t>(n);
}

} // namespace troupe::lua
