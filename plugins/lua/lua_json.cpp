#include "plugins/lua/lua_json.hpp"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/lua/lua_value.hpp"
#include "plugins/lua/run_guard.hpp"

namespace troupe::lua {

namespace {

/// Builds Lua values on the stack as nlohmann's SAX parser reports them. The value under
/// construction and its open containers sit on the Lua stack; `frames_` says for each open
/// container whether it is an array and how many elements it has.
class lua_sax {
public:
  using json = nlohmann::json;
  explicit lua_sax(lua_State* L) : L_(L) {}

  bool null() { return put([this] { lua_pushnil(L_); }); }
  bool boolean(bool v) { return put([&] { lua_pushboolean(L_, v); }); }
  bool number_integer(json::number_integer_t v) {
    return put([&] { lua_pushinteger(L_, static_cast<lua_Integer>(v)); });
  }
  bool number_unsigned(json::number_unsigned_t v) {
    return put([&] {
      if (v > static_cast<std::uint64_t>(std::numeric_limits<lua_Integer>::max()))
        lua_pushnumber(L_, static_cast<lua_Number>(v));
      else
        lua_pushinteger(L_, static_cast<lua_Integer>(v));
    });
  }
  bool number_float(json::number_float_t v, const json::string_t&) {
    return put([&] { lua_pushnumber(L_, v); });
  }
  bool string(json::string_t& v) { return put([&] { lua_pushlstring(L_, v.data(), v.size()); }); }
  bool binary(json::binary_t&) { return false; }
  bool start_object(std::size_t) { return open(false); }
  bool start_array(std::size_t) { return open(true); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& k) {
    luaL_checkstack(L_, 2, "json_parse");
    lua_pushlstring(L_, k.data(), k.size());
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    error_ = ex.what();
    return false;
  }

  const std::string& error() const { return error_; }

private:
  struct frame {
    bool array;
    lua_Integer count;
  };

  template <class Push>
  bool put(Push push) {
    luaL_checkstack(L_, 2, "json_parse");
    push();
    store();
    return true;
  }

  /// Moves the value on top into the open container, if any.
  void store() {
    if (frames_.empty())
      return;
    auto& f = frames_.back();
    if (f.array) {
      lua_rawseti(L_, -2, ++f.count);
    } else if (lua_isnil(L_, -1)) {
      lua_pop(L_, 2); // a null member: no entry
    } else {
      lua_rawset(L_, -3);
    }
  }

  bool open(bool array) {
    if (frames_.size() >= max_payload_depth) {
      error_ = "nesting deeper than " + std::to_string(max_payload_depth) + " levels";
      return false;
    }
    luaL_checkstack(L_, 2, "json_parse");
    lua_newtable(L_);
    frames_.push_back({array, 0});
    return true;
  }

  bool close() {
    frames_.pop_back();
    store();
    return true;
  }

  lua_State* L_;
  std::vector<frame> frames_;
  std::string error_;
};

} // namespace

int json_parse(lua_State* L) {
  std::size_t len = 0;
  const char* text = luaL_checklstring(L, 1, &len);
  if (auto* guard = run_guard::of(L))
    guard->charge(L, len / 16 + 1);
  lua_settop(L, 1);
  lua_sax sax{L};
  bool ok = nlohmann::json::sax_parse(text, text + len, &sax);
  if (!ok) {
    lua_settop(L, 1);
    lua_pushnil(L);
    auto message = "json_parse: " + (sax.error().empty() ? std::string("invalid JSON") : sax.error());
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
  std::string text;
  try {
    text = value->dump();
  } catch (const nlohmann::json::exception& e) {
    return luaL_error(L, "json_encode: %s", e.what()); // e.g. a string that is not UTF-8
  }
  if (auto* guard = run_guard::of(L))
    guard->charge(L, text.size() / 16 + 1);
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

} // namespace troupe::lua
