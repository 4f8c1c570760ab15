#include "plugins/lua/lua_value.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include <msgpack.hpp>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/utf8.hpp"
#include "plugins/lua/msgpack_reader.hpp"

namespace troupe::lua {

namespace {

// -- msgpack -> Lua ------------------------------------------------------------------------------

/// Pushes `o`; raises a Lua error for what has no Lua form. Runs inside a protected call.
void push_object(lua_State* L, const msgpack::object& o) {
  luaL_checkstack(L, 3, "payload nests too deeply");
  switch (o.type) {
    case msgpack::type::NIL: lua_pushnil(L); return;
    case msgpack::type::BOOLEAN: lua_pushboolean(L, o.via.boolean); return;
    case msgpack::type::POSITIVE_INTEGER:
      if (o.via.u64 > static_cast<std::uint64_t>(std::numeric_limits<lua_Integer>::max()))
        lua_pushnumber(L, static_cast<lua_Number>(o.via.u64));
      else
        lua_pushinteger(L, static_cast<lua_Integer>(o.via.u64));
      return;
    case msgpack::type::NEGATIVE_INTEGER: lua_pushinteger(L, o.via.i64); return;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: lua_pushnumber(L, o.via.f64); return;
    case msgpack::type::STR: lua_pushlstring(L, o.via.str.ptr, o.via.str.size); return;
    case msgpack::type::BIN: lua_pushlstring(L, o.via.bin.ptr, o.via.bin.size); return;
    case msgpack::type::ARRAY:
      lua_createtable(L, static_cast<int>(o.via.array.size), 0);
      for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
        push_object(L, o.via.array.ptr[i]);
        lua_rawseti(L, -2, static_cast<lua_Integer>(i) + 1);
      }
      return;
    case msgpack::type::MAP:
      lua_createtable(L, 0, static_cast<int>(o.via.map.size));
      for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        push_object(L, kv.key);
        if (lua_isnil(L, -1) || (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) != lua_tonumber(L, -1)))
          luaL_error(L, "payload has a map key (nil or NaN) that Lua tables cannot hold");
        push_object(L, kv.val);
        lua_rawset(L, -3);
      }
      return;
    case msgpack::type::EXT:
      luaL_error(L, "payload holds a msgpack extension type (%d), which has no Lua form",
                 static_cast<int>(o.via.ext.type()));
      return;
  }
}

int push_trampoline(lua_State* L) {
  const auto* p = static_cast<const prepared_payload*>(lua_touserdata(L, 1));
  push_prepared(L, *p);
  return 1;
}

/// Runs a trampoline over the prepared `in`; answers how many values it left on the stack.
/// Decoding reads the payload's bytes in place (msgpack-c's tree, in a zone reused per thread,
/// only for what the direct reader hands on).
caf::expected<int> push_decoded(lua_State* L, const payload& in, const std::string& plugin,
                                lua_CFunction trampoline, int nresults) {
  thread_local msgpack::zone zone;
  zone_clearer reset{zone};
  auto prepared = prepare_payload(zone, in, plugin);
  if (!prepared)
    return std::move(prepared.error());
  int base = lua_gettop(L);
  lua_pushcfunction(L, trampoline);
  lua_pushlightuserdata(L, &*prepared);
  if (lua_pcall(L, 1, nresults, 0) != LUA_OK) {
    std::string message = lua_tostring(L, -1) ? lua_tostring(L, -1) : "unknown Lua error";
    lua_pop(L, 1);
    auto code = message.find("not enough memory") != std::string::npos ? errc::plugin_failed
                                                                        : errc::bad_input;
    return make_error(code, plugin, "cannot convert the input to Lua: " + message);
  }
  return lua_gettop(L) - base;
}

// -- Lua -> msgpack ------------------------------------------------------------------------------

/// msgpack-c's packer writes into the payload's own vector: no intermediate buffer. The vector
/// is kept at its capacity and `used` counts the bytes written (a resize per write would zero
/// each new byte first); finish() cuts it to the bytes written.
struct byte_sink {
  std::vector<std::uint8_t>* bytes;
  std::size_t used = 0;

  void write(const char* data, std::size_t size) {
    if (bytes->size() - used < size)
      bytes->resize(std::max(bytes->size() * 2, used + size));
    std::memcpy(bytes->data() + used, data, size);
    used += size;
  }
  void finish() { bytes->resize(used); }
};

/// Where a value sits, rendered only when encoding fails: "result[\"items\"][3]".
/// Encoded values larger than this are refused (shared subtables are encoded once per reference).
constexpr std::size_t max_encoded_bytes = std::size_t{64} << 20;
/// And so are values with more tables than this (each shared reference counts again).
constexpr std::size_t max_encoded_tables = std::size_t{1} << 22;
/// A map's header is written once its entries are counted: this much room is kept for it.
constexpr std::size_t max_map_header = 5;

struct path_step {
  const path_step* parent = nullptr; ///< null: the root ("result")
  lua_Integer index = 0;             ///< array element, when key_idx is 0
  int key_idx = 0;                   ///< absolute stack index of a map key (on the stack while
                                     ///< its value is encoded)
};

class encoder {
public:
  encoder(lua_State* L, const std::string& plugin)
    : L_(L), plugin_(plugin), buffer_{&out_.bytes}, packer_(buffer_) {
    out_.bytes.resize(256); // one allocation for most results
  }

  /// Packs the value at the absolute index idx; false (see take_error) if it has no msgpack form.
  bool encode(int idx, const path_step* path, std::size_t depth) {
    switch (lua_type(L_, idx)) {
      case LUA_TNIL: packer_.pack_nil(); return true;
      case LUA_TBOOLEAN:
        lua_toboolean(L_, idx) ? packer_.pack_true() : packer_.pack_false();
        return true;
      case LUA_TNUMBER:
        if (lua_isinteger(L_, idx))
          packer_.pack_int64(lua_tointeger(L_, idx));
        else
          pack_float64(lua_tonumber(L_, idx));
        return true;
      case LUA_TSTRING: {
        std::size_t n = 0;
        const char* s = lua_tolstring(L_, idx, &n);
        if (is_valid_utf8(s, n)) {
          packer_.pack_str(static_cast<std::uint32_t>(n));
          packer_.pack_str_body(s, static_cast<std::uint32_t>(n));
        } else {
          packer_.pack_bin(static_cast<std::uint32_t>(n));
          packer_.pack_bin_body(s, static_cast<std::uint32_t>(n));
        }
        return true;
      }
      case LUA_TTABLE: return encode_table(idx, path, depth);
      default:
        return fail(path, std::string("cannot encode a ") + luaL_typename(L_, idx));
    }
  }

  payload result() {
    buffer_.finish();
    return std::move(out_);
  }

  /// Why encode answered false.
  caf::error take_error() { return std::move(error_); }

private:
  /// Writes a float64 as such: msgpack-c's pack_double turns integral doubles into integers,
  /// which would lose Lua's float subtype.
  void pack_float64(double value) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    char bytes[9];
    bytes[0] = static_cast<char>(0xcb);
    for (int i = 0; i < 8; ++i)
      bytes[1 + i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xff);
    buffer_.write(bytes, sizeof bytes);
  }

  std::string render(const path_step* path) {
    if (path == nullptr)
      return "result";
    return render(path->parent) + "["
           + (path->key_idx != 0 ? key_text(path->key_idx) : std::to_string(path->index)) + "]";
  }

  /// A table shared many times over can encode to exponentially many bytes.
  bool too_large(const path_step* path) {
    return fail(path, "the encoded value is larger than "
                        + std::to_string(max_encoded_bytes >> 20) + " MiB");
  }

  /// Records the failure (the error names where the value sits) and answers false.
  bool fail(const path_step* path, const std::string& what) {
    error_ = make_error(errc::bad_input, plugin_, render(path) + ": " + what);
    return false;
  }

  /// The number of entries of the table at idx.
  std::size_t count_entries(int idx) {
    std::size_t entries = 0;
    lua_pushnil(L_);
    while (lua_next(L_, idx) != 0) {
      ++entries;
      lua_pop(L_, 1);
    }
    return entries;
  }

  /// True if t[from..to] (raw) holds no nil.
  bool no_nil_in(int idx, lua_Integer from, lua_Integer to) {
    for (lua_Integer i = from; i <= to; ++i) {
      bool nil = lua_rawgeti(L_, idx, i) == LUA_TNIL;
      lua_pop(L_, 1);
      if (nil)
        return false;
    }
    return true;
  }

  bool encode_table(int idx, const path_step* path, std::size_t depth) {
    if (depth >= max_payload_depth)
      return fail(path, "nests deeper than " + std::to_string(max_payload_depth) + " levels");
    const void* id = lua_topointer(L_, idx);
    for (std::size_t i = 0; i < open_count_; ++i)
      if (open_tables_[i] == id)
        return fail(path, "cannot encode a table that contains itself (a cycle)");
    if (!lua_checkstack(L_, 4))
      return fail(path, "Lua stack exhausted");
    if (++tables_seen_ > max_encoded_tables)
      return fail(path, "the value holds more than " + std::to_string(max_encoded_tables)
                          + " tables (counting each reference to a shared table)");
    open_tables_[open_count_++] = id; // depth < max_payload_depth: there is room
    // A border of 0 means t[1] is nil: not a sequence. Otherwise the table is one if it has
    // exactly n entries and none of t[1..n] is nil (found while encoding them).
    auto n = static_cast<lua_Integer>(lua_rawlen(L_, idx));
    auto at = buffer_.used;
    int ok = n > 0 && count_entries(idx) == static_cast<std::size_t>(n)
               ? encode_array(idx, n, path, depth) : -1;
    if (ok < 0) { // not a sequence after all: whatever the array pass wrote goes
      buffer_.used = at;
      ok = encode_map(idx, path, depth) ? 1 : 0;
    }
    --open_count_;
    return ok == 1;
  }

  /// Packs t[1..n] as an array: 1 done, 0 failed, -1 not a sequence (a nil among t[1..n]: the
  /// table has other keys, and a failure among its items is then reported as the map pass does).
  int encode_array(int idx, lua_Integer n, const path_step* path, std::size_t depth) {
    packer_.pack_array(static_cast<std::uint32_t>(n));
    int value = lua_gettop(L_) + 1;
    for (lua_Integer i = 1; i <= n; ++i) {
      if (buffer_.used > max_encoded_bytes)
        return no_nil_in(idx, i, n) ? (too_large(path), 0) : -1;
      if (lua_rawgeti(L_, idx, i) == LUA_TNIL) {
        lua_pop(L_, 1);
        return -1;
      }
      path_step here{path, i, 0};
      bool ok = encode(value, &here, depth + 1);
      lua_pop(L_, 1);
      if (!ok)
        return no_nil_in(idx, i + 1, n) ? 0 : -1;
    }
    return 1;
  }

  /// Packs the table as a map in one pass: the entries are counted as they are written after
  /// room for the largest header, then the header msgpack-c would write goes in front of them.
  bool encode_map(int idx, const path_step* path, std::size_t depth) {
    auto at = buffer_.used;
    static const char room[max_map_header] = {};
    buffer_.write(room, sizeof room);
    std::size_t entries = 0;
    int key = lua_gettop(L_) + 1;
    lua_pushnil(L_);
    while (lua_next(L_, idx) != 0) {
      if (buffer_.used > max_encoded_bytes) {
        lua_pop(L_, 2);
        return too_large(path);
      }
      path_step here{path, 0, key};
      if (!encode(key, &here, depth + 1) || !encode(key + 1, &here, depth + 1)) {
        lua_pop(L_, 2);
        return false;
      }
      ++entries;
      lua_pop(L_, 1);
    }
    write_map_header(at, entries);
    return true;
  }

  /// Replaces the room kept at `at` by the map header for `entries`, in the form msgpack-c's
  /// pack_map picks (fixmap, map 16 or map 32), and moves the entries up behind it.
  void write_map_header(std::size_t at, std::size_t entries) {
    unsigned char header[max_map_header];
    std::size_t size = 0;
    if (entries < 16) {
      header[size++] = static_cast<unsigned char>(0x80 | entries);
    } else {
      int bytes = entries < 0x10000 ? 2 : 4;
      header[size++] = bytes == 2 ? 0xde : 0xdf;
      for (int i = bytes - 1; i >= 0; --i)
        header[size++] = static_cast<unsigned char>((entries >> (8 * i)) & 0xff);
    }
    auto* base = buffer_.bytes->data() + at;
    auto body = buffer_.used - at - max_map_header;
    if (size != max_map_header)
      std::memmove(base + size, base + max_map_header, body);
    std::memcpy(base, header, size);
    buffer_.used -= max_map_header - size;
  }

  /// A key as it appears in an error path; never converts the key in place.
  std::string key_text(int idx) {
    switch (lua_type(L_, idx)) {
      case LUA_TSTRING: return "\"" + std::string(lua_tostring(L_, idx)) + "\"";
      case LUA_TNUMBER:
        return lua_isinteger(L_, idx) ? std::to_string(lua_tointeger(L_, idx))
                                      : std::to_string(lua_tonumber(L_, idx));
      case LUA_TBOOLEAN: return lua_toboolean(L_, idx) ? "true" : "false";
      default: return std::string("<") + luaL_typename(L_, idx) + ">";
    }
  }

  lua_State* L_;
  const std::string& plugin_;
  payload out_;
  byte_sink buffer_;
  msgpack::packer<byte_sink> packer_;
  /// The tables being encoded, outermost first (a cycle check; no allocation per call).
  std::array<const void*, max_payload_depth> open_tables_{};
  std::size_t open_count_ = 0;
  std::size_t tables_seen_ = 0;
  caf::error error_; ///< set by fail: the internal steps answer bool, not an error per value
};

} // namespace

void push_msgpack(lua_State* L, const msgpack::object& o) {
  push_object(L, o);
}

int push_msgpack_arguments(lua_State* L, const msgpack::object& o) {
  if (o.type == msgpack::type::NIL)
    return 0;
  if (o.type != msgpack::type::ARRAY) {
    push_object(L, o);
    return 1;
  }
  luaL_checkstack(L, static_cast<int>(o.via.array.size) + 3, "too many arguments");
  for (std::uint32_t i = 0; i < o.via.array.size; ++i)
    push_object(L, o.via.array.ptr[i]);
  return static_cast<int>(o.via.array.size);
}

caf::error push_payload(lua_State* L, const payload& in, const std::string& plugin) {
  auto pushed = push_decoded(L, in, plugin, push_trampoline, 1);
  return pushed ? caf::error{} : std::move(pushed.error());
}


caf::expected<payload> encode_value(lua_State* L, int idx, const std::string& plugin) {
  encoder enc{L, plugin};
  if (!enc.encode(lua_absindex(L, idx), nullptr, 0))
    return enc.take_error();
  return enc.result();
}

} // namespace troupe::lua
