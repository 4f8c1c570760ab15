// Fuzzes the msgpack -> Lua value mapping (plugins/lua/lua_value, msgpack_reader) and its way
// back (encode_value). The input is one payload, as a plugin call would carry it.
//
// Checked, on a fresh Lua state every run (a state kept across runs would leave allocations of one
// run to be freed in another, and libFuzzer then scans for leaks after every run):
//   - no crash, leak, undefined behaviour or escaping exception;
//   - push_payload succeeds only on valid msgpack (what msgpack-c's unpack accepts), pushes
//     nothing when it fails, and agrees with the msgpack-c path (push_msgpack on the unpacked
//     object): both succeed or both fail, with equal values; so do the key-cache path and the
//     argument readers (push_prepared_arguments, push_msgpack_arguments);
//   - encode_value of every value pushed succeeds, gives valid msgpack, and that pushes back as
//     an equal value (round trip);
//   - a state with a small memory cap fails cleanly (nothing pushed, or an encoding error)
//     instead of crashing.
// "Equal" compares an order-independent fingerprint of the two Lua values (tables as sets of
// key/value pairs), so no false alarm comes from the order lua_next visits a table in.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>

#include <lua.hpp>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/lua/key_cache.hpp"
#include "plugins/lua/lua_state.hpp"
#include "plugins/lua/lua_value.hpp"
#include "plugins/lua/msgpack_reader.hpp"

namespace {

using namespace troupe;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_lua_value: invariant failed: %s\n", what);
    std::abort();
  }
}

std::uint64_t mix(std::uint64_t x) { // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15u;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
  return x ^ (x >> 31);
}

/// A fingerprint of the value at idx that does not depend on the order of table entries.
std::uint64_t fingerprint(lua_State* L, int idx) {
  idx = lua_absindex(L, idx);
  switch (lua_type(L, idx)) {
    case LUA_TNIL: return mix(1);
    case LUA_TBOOLEAN: return mix(2 + static_cast<std::uint64_t>(lua_toboolean(L, idx)));
    case LUA_TNUMBER: {
      if (lua_isinteger(L, idx))
        return mix(4 ^ mix(static_cast<std::uint64_t>(lua_tointeger(L, idx))));
      double d = lua_tonumber(L, idx);
      if (d != d)
        return mix(5);
      std::uint64_t bits = 0;
      std::memcpy(&bits, &d, sizeof bits);
      return mix(6 ^ mix(bits));
    }
    case LUA_TSTRING: {
      std::size_t n = 0;
      const char* s = lua_tolstring(L, idx, &n); // a string already: converts nothing
      std::uint64_t h = 1469598103934665603u;
      for (std::size_t i = 0; i < n; ++i)
        h = (h ^ static_cast<unsigned char>(s[i])) * 1099511628211u;
      return mix(7 ^ mix(h + n));
    }
    case LUA_TTABLE: {
      require(lua_checkstack(L, 3), "no stack left to compare values");
      std::uint64_t sum = 0, count = 0;
      lua_pushnil(L);
      while (lua_next(L, idx) != 0) {
        sum += mix(fingerprint(L, -2) * 3 + fingerprint(L, -1));
        ++count;
        lua_pop(L, 1);
      }
      return mix(8 ^ mix(sum + count));
    }
    default: return mix(9 + static_cast<std::uint64_t>(lua_type(L, idx)));
  }
}

/// Runs `body` in a protected call; true if it raised no error. What it pushes stays on the stack
/// (the error message is popped).
bool protect(lua_State* L, const std::function<int(lua_State*)>& body) {
  lua_pushcfunction(L, [](lua_State* S) {
    auto* f = static_cast<const std::function<int(lua_State*)>*>(lua_touserdata(S, 1));
    lua_remove(S, 1);
    return (*f)(S);
  });
  lua_pushlightuserdata(L, const_cast<std::function<int(lua_State*)>*>(&body));
  if (lua_pcall(L, 1, LUA_MULTRET, 0) == LUA_OK)
    return true;
  lua_pop(L, 1);
  return false;
}

/// The fingerprints of the `n` values on top of the stack, combined in order; pops them.
std::uint64_t take(lua_State* L, int n) {
  std::uint64_t h = mix(static_cast<std::uint64_t>(n));
  for (int i = n; i >= 1; --i)
    h = mix(h * 31 + fingerprint(L, -i));
  lua_pop(L, n);
  return h;
}

/// The checks on the state with room: differential, round trip.
void check_mapping(lua_State* L, const payload& in) {
  lua::key_cache keys; // belongs to L, like a plugin's
  auto handle = unpack(in, "fuzz");
  auto err = lua::push_payload(L, in, "fuzz");
  if (err) {
    require(lua_gettop(L) == 0, "a failed push_payload left values on the stack");
    require(code_name(err) == "bad_input", "push_payload failed with no memory cap in reach");
  } else {
    require(static_cast<bool>(handle), "push_payload accepted what msgpack-c refuses");
    require(lua_gettop(L) == 1, "push_payload pushed other than one value");
  }
  if (!handle)
    return;

  // The msgpack-c path must agree with the direct reader.
  const msgpack::object& object = handle->get();
  bool via_msgpack = protect(L, [&](lua_State* S) {
    lua::push_msgpack(S, object);
    return 1;
  });
  require(via_msgpack == !err, "push_msgpack and push_payload disagree on success");
  if (err)
    return;
  require(fingerprint(L, 1) == fingerprint(L, 2), "push_msgpack and push_payload differ");
  lua_settop(L, 1);

  // The key cache and the argument readers read the same values.
  msgpack::zone zone;
  auto prepared = lua::prepare_payload(zone, in, "fuzz");
  require(static_cast<bool>(prepared), "prepare_payload refused what push_payload took");
  require(protect(L, [&](lua_State* S) {
            lua::push_prepared(S, *prepared, &keys);
            return 1;
          }), "push_prepared with the key cache failed");
  require(fingerprint(L, 1) == fingerprint(L, 2), "the key cache changed a value");
  lua_settop(L, 1);
  int base = lua_gettop(L);
  require(protect(L, [&](lua_State* S) { return lua::push_prepared_arguments(S, *prepared, &keys); }),
          "push_prepared_arguments failed");
  int direct = lua_gettop(L) - base;
  auto direct_print = take(L, direct);
  require(protect(L, [&](lua_State* S) { return lua::push_msgpack_arguments(S, object); }),
          "push_msgpack_arguments failed");
  int via = lua_gettop(L) - base;
  require(direct == via && take(L, via) == direct_print, "the argument readers disagree");

  // Round trip: what was pushed encodes to valid msgpack that pushes back as the same value.
  auto encoded = lua::encode_value(L, 1, "fuzz");
  require(static_cast<bool>(encoded), "a value pushed from msgpack cannot be encoded");
  require(static_cast<bool>(unpack(*encoded)), "encode_value wrote invalid msgpack");
  require(!lua::push_payload(L, *encoded, "fuzz"), "an encoded value does not push back");
  require(fingerprint(L, 1) == fingerprint(L, 2), "a value changed in the round trip");
}

/// The state with a small cap: running out of memory is an error value, never a crash.
void check_small(lua_State* L, const payload& in) {
  if (auto err = lua::push_payload(L, in, "fuzz")) {
    require(lua_gettop(L) == 0, "a failed push_payload left values on the stack");
    return;
  }
  // Encoding may fail here too: growing the stack for a deep value needs memory.
  auto encoded = lua::encode_value(L, -1, "fuzz");
  require(encoded ? static_cast<bool>(unpack(*encoded)) : code_name(encoded.error()) == "bad_input",
          "encode_value under a memory cap wrote invalid msgpack or failed oddly");
  require(lua_gettop(L) == 1, "encode_value left the stack changed");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  troupe::payload in{std::vector<std::uint8_t>(data, data + size)};
  {
    lua::state roomy{std::size_t{256} << 20};
    check_mapping(roomy.get(), in);
  }
  lua::state small{std::size_t{24} << 10};
  check_small(small.get(), in);
  return 0;
}
