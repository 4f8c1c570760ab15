#include "plugins/lua/lua_json.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stream.h>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/lua/key_cache.hpp"
#include "plugins/lua/lua_value.hpp"
#include "plugins/lua/run_guard.hpp"

namespace troupe::lua {

namespace {

/// Builds Lua values as RapidJSON's SAX reader reports them. A container's items wait on the Lua
/// stack and go into its table when it closes, so each table is created at its final size (no
/// rehashing as it grows); a container with many items is flushed every `batch` items to keep
/// the stack short. The table takes the place of a nil pushed when the container opened. The
/// stack top is tracked here (top_), not asked of Lua. Returning false stops the parse (too deep).
class lua_sax {
public:
  /// Member names go through `keys` if it is set.
  lua_sax(lua_State* L, key_cache* keys) : L_(L), keys_(keys), top_(lua_gettop(L)) {}

  bool Null() {
    if (!frames_.empty() && !frames_.back().array) { // a null member: no entry
      lua_pop(L_, 1);
      --top_;
      return true;
    }
    return put([this] { lua_pushnil(L_); });
  }
  bool Bool(bool v) { return put([&] { lua_pushboolean(L_, v); }); }
  bool Int(int v) { return put([&] { lua_pushinteger(L_, v); }); }
  bool Uint(unsigned v) { return put([&] { lua_pushinteger(L_, v); }); }
  bool Int64(std::int64_t v) { return put([&] { lua_pushinteger(L_, v); }); }
  bool Uint64(std::uint64_t v) {
    return put([&] {
      if (v > static_cast<std::uint64_t>(std::numeric_limits<lua_Integer>::max()))
        lua_pushnumber(L_, static_cast<lua_Number>(v));
      else
        lua_pushinteger(L_, static_cast<lua_Integer>(v));
    });
  }
  bool Double(double v) { return put([&] { lua_pushnumber(L_, v); }); }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; } // not requested
  bool String(const char* s, rapidjson::SizeType n, bool) {
    return put([&] { lua_pushlstring(L_, s, n); });
  }
  bool StartObject() { return open(false); }
  bool StartArray() { return open(true); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    reserve(); // leaves 3 free slots at least: the cache needs 2
    if (keys_ != nullptr)
      keys_->push(L_, s, n);
    else
      lua_pushlstring(L_, s, n);
    ++top_;
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool EndArray(rapidjson::SizeType) { return close(); }

  bool too_deep() const { return too_deep_; }

private:
  static constexpr int batch = 512;

  struct frame {
    bool array;
    int base;                ///< stack index of the first waiting item
    bool has_table = false;  ///< the table (else a nil) sits at base - 1
    lua_Integer stored = 0;  ///< array items already in the table
  };

  /// Makes room for one more value. The stack is grown 64 slots at a time; room_ counts down
  /// with every value left on it (pops only add room), so this asks Lua rarely.
  void reserve() {
    if (room_ < 4) {
      luaL_checkstack(L_, 64, "json_parse");
      room_ = 64;
    }
    --room_;
  }

  template <class Push>
  bool put(Push push) {
    reserve();
    push();
    ++top_;
    added();
    return true;
  }

  /// Accounts for the value just pushed into the open container.
  void added() {
    if (frames_.empty())
      return;
    auto& f = frames_.back();
    if (top_ - f.base + 1 >= batch)
      flush(f);
  }

  /// Moves the waiting items into the container's table, creating it if needed. Each item is
  /// set from the top of the stack down, the set popping it (no copies): a new array table was
  /// made with room for exactly these items, and neither part of a table cares about the order
  /// its entries are set in.
  void flush(frame& f) {
    int waiting = top_ - f.base + 1;
    int table = f.base - 1;
    if (!f.has_table) {
      if (f.array)
        lua_createtable(L_, waiting, 0);
      else
        lua_createtable(L_, 0, waiting / 2);
      lua_replace(L_, table);
      f.has_table = true;
    }
    if (f.array) {
      for (int i = waiting; i >= 1; --i)
        lua_rawseti(L_, table, f.stored + i);
      f.stored += waiting;
    } else {
      for (int i = 0; i + 1 < waiting; i += 2)
        lua_rawset(L_, table); // the key and value on top
    }
    top_ = table;
  }

  bool open(bool array) {
    if (frames_.size() >= max_payload_depth) {
      too_deep_ = true;
      return false;
    }
    reserve();
    lua_pushnil(L_); // where the table will be
    ++top_;
    frames_.push_back({array, top_ + 1});
    return true;
  }

  bool close() {
    flush(frames_.back());
    frames_.pop_back();
    added();
    return true;
  }

  lua_State* L_;
  key_cache* keys_;
  int top_; ///< the stack top: what the parse pushed and has not popped
  std::vector<frame> frames_;
  int room_ = 0; ///< free stack slots known to be there (see reserve)
  bool too_deep_ = false;
};

/// A copy of the text larger than this is not kept for the next parse.
constexpr std::size_t max_kept_scratch = std::size_t{1} << 20;

/// Parses `text` (`len` bytes) onto L's stack; on failure answers what is wrong. The text is
/// parsed in place in a copy kept per thread (RapidJSON's in-situ mode: strings are unescaped
/// where they stand and handed over without being copied again).
std::string parse_onto_stack(lua_State* L, const char* text, std::size_t len) {
  thread_local std::string scratch;
  scratch.assign(text, len);
  struct release { // also when a Lua error unwinds the parse
    ~release() {
      if (scratch.capacity() > max_kept_scratch)
        std::string().swap(scratch);
    }
  } released;
  lua_sax sax{L, static_cast<key_cache*>(lua_touserdata(L, lua_upvalueindex(1)))};
  // An embedded NUL ends the in-situ stream where the memory stream saw a '\0' character:
  // both stop there with the same error at the same offset.
  rapidjson::InsituStringStream stream(&scratch[0]);
  rapidjson::Reader reader;
  constexpr unsigned flags = rapidjson::kParseInsituFlag | rapidjson::kParseStopWhenDoneFlag
                             | rapidjson::kParseFullPrecisionFlag;
  auto result = reader.Parse<flags>(stream, sax);
  if (result.IsError()) {
    std::string problem = sax.too_deep()
                            ? "nesting deeper than " + std::to_string(max_payload_depth) + " levels"
                            : rapidjson::GetParseError_En(result.Code());
    return problem + " at offset " + std::to_string(result.Offset());
  }
  // Only whitespace may follow the value.
  for (std::size_t i = stream.Tell(); i < len; ++i)
    if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
      return "unexpected text after the JSON value at offset " + std::to_string(i);
  return {};
}

} // namespace

int json_parse(lua_State* L) {
  std::size_t len = 0;
  const char* text = luaL_checklstring(L, 1, &len);
  if (auto* guard = run_guard::of(L))
    guard->charge(L, len / 16 + 1);
  lua_settop(L, 1);
  auto problem = parse_onto_stack(L, text, len);
  if (!problem.empty()) {
    lua_settop(L, 1);
    lua_pushnil(L);
    auto message = "json_parse: " + problem;
    lua_pushlstring(L, message.data(), message.size());
    return 2;
  }
  return 1;
}

int json_encode(lua_State* L) {
  luaL_checkany(L, 1);
  lua_settop(L, 1);
  auto encoded = encode_value(L, 1, "");
  caf::expected<nlohmann::json> value{caf::error{}};
  if (encoded)
    value = payload_to_json(*encoded);
  if (!encoded || !value) {
    auto why = detail_of(encoded ? value.error() : encoded.error());
    return luaL_error(L, "json_encode: %s", why.c_str());
  }
  auto text = render_json(*value); // strings that are not UTF-8 were packed as bytes
  if (auto* guard = run_guard::of(L))
    guard->charge(L, text.size() / 16 + 1);
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

} // namespace troupe::lua
