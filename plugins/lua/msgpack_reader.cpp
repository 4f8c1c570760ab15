#include "plugins/lua/msgpack_reader.hpp"

#include <cstring>
#include <limits>

#include "messages/msgpack_codec.hpp"
#include "plugins/lua/key_cache.hpp"
#include "plugins/lua/lua_value.hpp"

namespace troupe::lua {

namespace {

using byte = std::uint8_t;

std::uint64_t load_be(const byte* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i)
    v = (v << 8) | p[i];
  return v;
}

/// What a header byte announces: the header's length, and either a body of `length` bytes
/// (strings, bin, ext: `length` counts the ext type byte too) or `count` nested values.
struct header {
  enum kind_t { scalar, bytes, array, map, ext, invalid } kind = invalid;
  int size = 1;             ///< header bytes, the type byte included
  std::uint64_t length = 0; ///< body bytes (scalar, bytes, ext)
  std::uint64_t count = 0;  ///< items (array) or pairs (map)
};

/// Decodes the header at p; REQUIRES: p < end. A header running past end is `invalid`.
header read_header(const byte* p, const byte* end) {
  byte b = *p;
  auto avail = static_cast<std::size_t>(end - p);
  auto sized = [&](header::kind_t kind, int n, std::uint64_t extra) {
    header h;
    if (avail < static_cast<std::size_t>(1 + n))
      return h;
    h.kind = kind;
    h.size = 1 + n;
    std::uint64_t v = load_be(p + 1, n);
    if (kind == header::array)
      h.count = v;
    else if (kind == header::map)
      h.count = v;
    else
      h.length = v + extra;
    return h;
  };
  if (b <= 0x7f || b >= 0xe0 || (b >= 0xc0 && b <= 0xc3 && b != 0xc1))
    return {header::scalar, 1, 0, 0};
  if (b <= 0x8f)
    return {header::map, 1, 0, static_cast<std::uint64_t>(b & 0x0f)};
  if (b <= 0x9f)
    return {header::array, 1, 0, static_cast<std::uint64_t>(b & 0x0f)};
  if (b <= 0xbf)
    return {header::bytes, 1, static_cast<std::uint64_t>(b & 0x1f), 0};
  switch (b) {
    case 0xc4: return sized(header::bytes, 1, 0);
    case 0xc5: return sized(header::bytes, 2, 0);
    case 0xc6: return sized(header::bytes, 4, 0);
    case 0xc7: return sized(header::ext, 1, 1);
    case 0xc8: return sized(header::ext, 2, 1);
    case 0xc9: return sized(header::ext, 4, 1);
    case 0xca: case 0xce: case 0xd2: return {header::scalar, 1, 4, 0};
    case 0xcb: case 0xcf: case 0xd3: return {header::scalar, 1, 8, 0};
    case 0xcc: case 0xd0: return {header::scalar, 1, 1, 0};
    case 0xcd: case 0xd1: return {header::scalar, 1, 2, 0};
    case 0xd4: return {header::ext, 1, 2, 0};
    case 0xd5: return {header::ext, 1, 3, 0};
    case 0xd6: return {header::ext, 1, 5, 0};
    case 0xd7: return {header::ext, 1, 9, 0};
    case 0xd8: return {header::ext, 1, 17, 0};
    case 0xd9: return sized(header::bytes, 1, 0);
    case 0xda: return sized(header::bytes, 2, 0);
    case 0xdb: return sized(header::bytes, 4, 0);
    case 0xdc: return sized(header::array, 2, 0);
    case 0xdd: return sized(header::array, 4, 0);
    case 0xde: return sized(header::map, 2, 0);
    case 0xdf: return sized(header::map, 4, 0);
    default: return {};
  }
}

/// The end of the value at p, or nullptr if it is malformed, truncated or nests `depth` or more
/// containers below the top (max_payload_depth - 1 at most, to stay inside msgpack-c's limit).
const byte* skip(const byte* p, const byte* end, std::size_t depth) {
  if (p >= end)
    return nullptr;
  byte b = *p;
  if (b <= 0x7f || b >= 0xe0) // fixints: the common scalars, one byte
    return p + 1;
  if (b >= 0xa0 && b <= 0xbf) { // fixstr: the common map keys
    auto n = static_cast<std::size_t>(b & 0x1f);
    return n < static_cast<std::size_t>(end - p) ? p + 1 + n : nullptr;
  }
  header h = read_header(p, end);
  if (h.kind == header::invalid)
    return nullptr;
  p += h.size;
  auto avail = static_cast<std::uint64_t>(end - p);
  if (h.kind != header::array && h.kind != header::map)
    return h.length <= avail ? p + h.length : nullptr;
  std::uint64_t items = h.kind == header::map ? 2 * h.count : h.count;
  if (items > avail || depth + 1 >= max_payload_depth)
    return nullptr;
  for (std::uint64_t i = 0; i < items && p != nullptr; ++i)
    p = skip(p, end, depth + 1);
  return p;
}

void push_integer(lua_State* L, byte b, const byte* body) {
  if (b <= 0x7f) {
    lua_pushinteger(L, b);
  } else if (b >= 0xe0) {
    lua_pushinteger(L, static_cast<std::int8_t>(b));
  } else if (b >= 0xcc && b <= 0xcf) {
    int n = 1 << (b - 0xcc);
    std::uint64_t v = load_be(body, n);
    if (v > static_cast<std::uint64_t>(std::numeric_limits<lua_Integer>::max()))
      lua_pushnumber(L, static_cast<lua_Number>(v));
    else
      lua_pushinteger(L, static_cast<lua_Integer>(v));
  } else { // 0xd0..0xd3: sign-extend
    int n = 1 << (b - 0xd0);
    std::uint64_t v = load_be(body, n);
    int shift = 64 - 8 * n;
    lua_pushinteger(L, static_cast<lua_Integer>(static_cast<std::int64_t>(v << shift) >> shift));
  }
}

void push_scalar(lua_State* L, byte b, const byte* body) {
  switch (b) {
    case 0xc0: lua_pushnil(L); return;
    case 0xc2: lua_pushboolean(L, 0); return;
    case 0xc3: lua_pushboolean(L, 1); return;
    case 0xca: {
      float f = 0;
      auto bits = static_cast<std::uint32_t>(load_be(body, 4));
      std::memcpy(&f, &bits, sizeof f);
      lua_pushnumber(L, static_cast<double>(f));
      return;
    }
    case 0xcb: {
      double d = 0;
      std::uint64_t bits = load_be(body, 8);
      std::memcpy(&d, &bits, sizeof d);
      lua_pushnumber(L, d);
      return;
    }
    default: push_integer(L, b, body);
  }
}

const byte* push_value(lua_State* L, const byte* p, const byte* end, key_cache* keys);

/// True if the key just pushed (its first byte `b`) cannot be a Lua table key: nil or NaN.
/// Strings, the usual keys, are never looked at.
bool bad_key(lua_State* L, byte b) {
  if (b >= 0xa0 && b <= 0xbf)
    return false;
  int type = lua_type(L, -1);
  return type == LUA_TNIL || (type == LUA_TNUMBER && lua_tonumber(L, -1) != lua_tonumber(L, -1));
}

/// Pushes a map of `pairs` entries; fixstr keys go through `keys` (if set).
const byte* push_map(lua_State* L, const byte* p, const byte* end, std::uint64_t pairs,
                     key_cache* keys) {
  // The table, a key and a value, and one more for the key cache.
  luaL_checkstack(L, 4, "payload nests too deeply");
  lua_createtable(L, 0, static_cast<int>(pairs));
  for (std::uint64_t i = 0; i < pairs; ++i) {
    byte key = *p;
    if (keys != nullptr && key >= 0xa0 && key <= 0xbf) {
      std::size_t n = key & 0x1f;
      keys->push(L, reinterpret_cast<const char*>(p + 1), n);
      p += 1 + n;
    } else {
      p = push_value(L, p, end, keys);
      if (bad_key(L, key))
        luaL_error(L, "payload has a map key (nil or NaN) that Lua tables cannot hold");
    }
    p = push_value(L, p, end, keys);
    lua_rawset(L, -3);
  }
  return p;
}

/// Pushes the checked value at p; answers its end. Raises like push_msgpack. REQUIRES: one free
/// stack slot (a container checks for its own and its items': LUA_MINSTACK covers the top).
const byte* push_value(lua_State* L, const byte* p, const byte* end, key_cache* keys) {
  byte b = *p;
  if (b >= 0xa0 && b <= 0xbf) { // fixstr: the common case for map keys
    std::size_t n = b & 0x1f;
    lua_pushlstring(L, reinterpret_cast<const char*>(p + 1), n);
    return p + 1 + n;
  }
  header h = read_header(p, end);
  const byte* body = p + h.size;
  switch (h.kind) {
    case header::scalar: push_scalar(L, b, body); return body + h.length;
    case header::bytes:
      lua_pushlstring(L, reinterpret_cast<const char*>(body), static_cast<std::size_t>(h.length));
      return body + h.length;
    case header::map: return push_map(L, body, end, h.count, keys);
    case header::array:
      luaL_checkstack(L, 3, "payload nests too deeply");
      lua_createtable(L, static_cast<int>(h.count), 0);
      for (std::uint64_t i = 0; i < h.count; ++i) {
        body = push_value(L, body, end, keys);
        lua_rawseti(L, -2, static_cast<lua_Integer>(i) + 1);
      }
      return body;
    case header::ext:
    case header::invalid: break;
  }
  luaL_error(L, "payload holds a msgpack extension type (%d), which has no Lua form",
             static_cast<int>(static_cast<std::int8_t>(body[0])));
  return end;
}

} // namespace

bool check_msgpack(const std::uint8_t* bytes, std::size_t size) {
  return size > 0 && skip(bytes, bytes + size, 0) == bytes + size;
}

caf::expected<prepared_payload> prepare_payload(msgpack::zone& zone, const payload& in,
                                                const std::string& plugin) {
  prepared_payload p;
  if (check_msgpack(in.bytes.data(), in.bytes.size())) {
    p.bytes = in.bytes.data();
    p.size = in.bytes.size();
    return p;
  }
  auto object = unpack_in(zone, in, plugin, true);
  if (!object)
    return std::move(object.error());
  p.object = *object;
  return p;
}

void push_prepared(lua_State* L, const prepared_payload& p, key_cache* keys) {
  if (p.bytes == nullptr)
    push_msgpack(L, p.object);
  else
    push_value(L, p.bytes, p.bytes + p.size, keys);
}

int push_prepared_arguments(lua_State* L, const prepared_payload& p, key_cache* keys) {
  if (p.bytes == nullptr)
    return push_msgpack_arguments(L, p.object);
  byte b = p.bytes[0];
  if (b == 0xc0)
    return 0;
  header h = read_header(p.bytes, p.bytes + p.size);
  if (h.kind != header::array) {
    push_value(L, p.bytes, p.bytes + p.size, keys);
    return 1;
  }
  luaL_checkstack(L, static_cast<int>(h.count) + 3, "too many arguments");
  const byte* item = p.bytes + h.size;
  for (std::uint64_t i = 0; i < h.count; ++i)
    item = push_value(L, item, p.bytes + p.size, keys);
  return static_cast<int>(h.count);
}

} // namespace troupe::lua
