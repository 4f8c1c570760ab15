#pragma once
// Compares the direct msgpack reader (plugins/lua/msgpack_reader) with the decoder it replaces
// (msgpack-c's object tree, then push_msgpack): same Lua values, or the same error.

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <lua.hpp>
#include <msgpack.hpp>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/lua/lua_value.hpp"
#include "plugins/lua/msgpack_reader.hpp"

namespace troupe::test {

/// True if the Lua values at a and b are equal: same types, number subtypes, NaN matching NaN,
/// tables with the same entries (entries keyed by tables are only counted).
inline bool lua_deep_equal(lua_State* L, int a, int b) {
  a = lua_absindex(L, a);
  b = lua_absindex(L, b);
  if (lua_type(L, a) != lua_type(L, b))
    return false;
  switch (lua_type(L, a)) {
    case LUA_TNUMBER: {
      if (lua_isinteger(L, a) != lua_isinteger(L, b))
        return false;
      if (lua_isinteger(L, a))
        return lua_tointeger(L, a) == lua_tointeger(L, b);
      double x = lua_tonumber(L, a), y = lua_tonumber(L, b);
      return x == y || (std::isnan(x) && std::isnan(y));
    }
    case LUA_TTABLE: break;
    default: return lua_rawequal(L, a, b);
  }
  lua_checkstack(L, 6);
  std::size_t entries_a = 0, entries_b = 0;
  bool same = true;
  lua_pushnil(L);
  while (lua_next(L, a) != 0) {
    ++entries_a;
    if (same && lua_type(L, -2) != LUA_TTABLE) {
      lua_pushvalue(L, -2);
      lua_rawget(L, b);
      same = lua_deep_equal(L, -2, -1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  lua_pushnil(L);
  while (lua_next(L, b) != 0) {
    ++entries_b;
    lua_pop(L, 1);
  }
  return same && entries_a == entries_b;
}

/// What one decoder made of a payload: the error text, or the values left on the stack.
struct decode_outcome {
  bool ok = false;
  std::string error;
  int values = 0;
};

struct decode_job {
  const lua::prepared_payload* prepared = nullptr; ///< the direct reader, else msgpack-c's tree
  const msgpack::object* object = nullptr;
  bool arguments = false;
};

inline int run_decode_job(lua_State* L) {
  const auto* job = static_cast<const decode_job*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  if (job->prepared != nullptr)
    return job->arguments ? lua::push_prepared_arguments(L, *job->prepared)
                          : (lua::push_prepared(L, *job->prepared), 1);
  return job->arguments ? lua::push_msgpack_arguments(L, *job->object)
                        : (lua::push_msgpack(L, *job->object), 1);
}

inline decode_outcome run_decode(lua_State* L, const decode_job& job) {
  decode_outcome out;
  int top = lua_gettop(L);
  lua_pushcfunction(L, run_decode_job);
  lua_pushlightuserdata(L, const_cast<decode_job*>(&job));
  out.ok = lua_pcall(L, 1, LUA_MULTRET, 0) == LUA_OK;
  if (!out.ok) {
    out.error = lua_tostring(L, -1) ? lua_tostring(L, -1) : "?";
    lua_settop(L, top);
  }
  out.values = lua_gettop(L) - top;
  return out;
}

/// Decodes `bytes` both ways (as one value, and as arguments) and expects the same outcome.
/// Answers whether the direct reader took the payload itself (rather than handing it on).
inline bool expect_same_decoding(lua_State* L, const std::vector<std::uint8_t>& bytes) {
  payload in{bytes};
  msgpack::zone old_zone, new_zone;
  auto object = unpack_in(old_zone, in, "t", true);
  auto prepared = lua::prepare_payload(new_zone, in, "t");
  EXPECT_EQ(static_cast<bool>(object), static_cast<bool>(prepared));
  if (!object || !prepared) {
    if (!object && !prepared) {
      EXPECT_EQ(describe(object.error()), describe(prepared.error()));
    }
    return false;
  }
  for (bool arguments : {false, true}) {
    int top = lua_gettop(L);
    auto before = run_decode(L, {nullptr, &*object, arguments});
    auto after = run_decode(L, {&*prepared, nullptr, arguments});
    EXPECT_EQ(before.ok, after.ok);
    EXPECT_EQ(before.error, after.error);
    EXPECT_EQ(before.values, after.values);
    if (before.ok && after.ok && before.values == after.values) {
      for (int i = 1; i <= before.values; ++i) {
        EXPECT_TRUE(lua_deep_equal(L, top + i, top + before.values + i)) << "value " << i;
      }
    }
    lua_settop(L, top);
  }
  return prepared->bytes != nullptr;
}

/// Packs a random value (every msgpack type, nesting up to `depth` more levels).
inline void pack_random(msgpack::packer<msgpack::sbuffer>& out, std::mt19937& rng, int depth) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto text = [&](std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i)
      s += pick(4) == 0 ? static_cast<char>(rng()) : static_cast<char>('a' + pick(26));
    return s;
  };
  static const std::size_t lengths[] = {0, 1, 5, 31, 32, 40, 41, 255, 256, 70000};
  switch (pick(depth > 0 ? 14 : 11)) {
    case 0: out.pack_nil(); break;
    case 1: pick(2) ? out.pack_true() : out.pack_false(); break;
    case 2: out.pack_int64(static_cast<std::int64_t>(rng()) - (1LL << 31)); break;
    case 3: out.pack_int64(static_cast<std::int64_t>((std::uint64_t{rng()} << 32) | rng())); break;
    case 4: out.pack_uint64((std::uint64_t{rng()} << 32) | rng()); break;
    case 5: out.pack_float(static_cast<float>(rng()) / 7.0f); break;
    case 6: out.pack_double(pick(8) == 0 ? std::nan("") : static_cast<double>(rng()) / 3.0); break;
    case 7: case 8: {
      auto s = text(lengths[pick(pick(20) == 0 ? 10 : 9)]);
      out.pack_str(static_cast<std::uint32_t>(s.size()));
      out.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
      break;
    }
    case 9: {
      auto s = text(lengths[pick(9)]);
      out.pack_bin(static_cast<std::uint32_t>(s.size()));
      out.pack_bin_body(s.data(), static_cast<std::uint32_t>(s.size()));
      break;
    }
    case 10:
      if (pick(10) == 0) {
        auto s = text(static_cast<std::size_t>(pick(20)));
        out.pack_ext(s.size(), static_cast<std::int8_t>(rng()));
        out.pack_ext_body(s.data(), static_cast<std::uint32_t>(s.size()));
      } else {
        out.pack_int64(pick(300) - 150);
      }
      break;
    case 11: {
      auto n = static_cast<std::uint32_t>(pick(pick(30) == 0 ? 40 : 6));
      out.pack_array(n);
      for (std::uint32_t i = 0; i < n; ++i)
        pack_random(out, rng, depth - 1);
      break;
    }
    default: {
      auto n = static_cast<std::uint32_t>(pick(pick(30) == 0 ? 20 : 6));
      out.pack_map(n);
      for (std::uint32_t i = 0; i < n; ++i) {
        pack_random(out, rng, pick(10) == 0 ? depth - 1 : 0); // keys: mostly scalars
        pack_random(out, rng, depth - 1);
      }
    }
  }
}

} // namespace troupe::test
