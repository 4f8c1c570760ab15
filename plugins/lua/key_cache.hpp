#pragma once
// Short strings that decoders push again and again (map keys, JSON member names), kept
// referenced from the registry so that pushing one again is an array read instead of hashing
// and interning its bytes. Lua interns short strings anyway: the value pushed is the same string
// either way, the cache only skips the lookup.

#include <array>
#include <cstddef>
#include <cstdint>

#include <lua.hpp>

namespace troupe::lua {

/// One per Lua state, used only by the thread that runs the state. Holds at most `slots`
/// strings of at most `max_bytes` bytes each (a few KiB of the state's memory).
class key_cache {
public:
  static constexpr std::size_t slots = 64;
  static constexpr std::size_t max_bytes = 32;

  /// Pushes the string s[0..n) onto L as lua_pushlstring would. Raises a Lua error when memory
  /// runs out: must run inside a protected call. REQUIRES: one free stack slot beyond the
  /// pushed value (for keeping a new string).
  void push(lua_State* L, const char* s, std::size_t n);

private:
  struct slot {
    int ref = LUA_NOREF;   ///< registry reference to the string
    std::uint8_t size = 0;
    char bytes[max_bytes];
  };
  std::array<slot, slots> slots_{};
};

} // namespace troupe::lua
