// The payload <-> Lua value mapping and the per-state memory cap (plugins/lua).

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/lua/lua_state.hpp"
#include "plugins/lua/lua_value.hpp"
#include "plugins/lua/msgpack_reader.hpp"
#include "tests/lua/decode_compare.hpp"

namespace {

using troupe::errc;

/// Runs `code` (which must `return` one value) and encodes the result.
caf::expected<troupe::payload> encode_lua(troupe::lua::state& s, const std::string& code) {
  lua_State* L = s.get();
  if (luaL_loadbufferx(L, code.data(), code.size(), "test", "t") != LUA_OK
      || lua_pcall(L, 0, 1, 0) != LUA_OK)
    return troupe::make_error(errc::bad_input, "t", lua_tostring(L, -1));
  auto out = troupe::lua::encode_value(L, -1, "t");
  lua_pop(L, 1);
  return out;
}

std::string json_of(const troupe::payload& p) {
  return troupe::payload_to_json(p)->dump();
}

/// Decodes `json` into Lua, hands it to `check` (a Lua expression over `v`), returns its result.
bool lua_check(troupe::lua::state& s, const std::string& json, const std::string& check) {
  lua_State* L = s.get();
  auto in = troupe::payload_from_json_text(json);
  EXPECT_FALSE(troupe::lua::push_payload(L, *in, "t"));
  lua_setglobal(L, "v");
  std::string code = "return " + check;
  EXPECT_EQ(luaL_loadbufferx(L, code.data(), code.size(), "check", "t"), LUA_OK);
  EXPECT_EQ(lua_pcall(L, 0, 1, 0), LUA_OK) << lua_tostring(L, -1);
  bool ok = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return ok;
}

TEST(LuaValue, ScalarsKeepTheirSubtypeBothWays) {
  troupe::lua::state s{0};
  EXPECT_TRUE(lua_check(s, "42", "v == 42"));
  EXPECT_TRUE(lua_check(s, "[1, 2.5, true, null, \"x\"]",
                        "v[1] == 1 and v[2] == 2.5 and v[3] == true and v[4] == nil and v[5] == 'x'"));
  EXPECT_EQ(json_of(*encode_lua(s, "return 3")), "3");
  auto three = encode_lua(s, "return 3.0");
  ASSERT_TRUE(three);
  EXPECT_EQ(troupe::unpack(*three)->get().type, msgpack::type::FLOAT64);
  EXPECT_EQ(json_of(*encode_lua(s, "return -7")), "-7");
  EXPECT_EQ(json_of(*encode_lua(s, "return 'héllo'")), "\"héllo\"");
  EXPECT_EQ(json_of(*encode_lua(s, "return nil")), "null");
}

TEST(LuaValue, SequencesBecomeArraysAndOtherTablesMaps) {
  troupe::lua::state s{0};
  EXPECT_EQ(json_of(*encode_lua(s, "return {1, 2, {3}}")), "[1,2,[3]]");
  EXPECT_EQ(json_of(*encode_lua(s, "return {a = 1, b = {c = true}}")), R"({"a":1,"b":{"c":true}})");
  EXPECT_EQ(json_of(*encode_lua(s, "return {}")), "{}");
  // A sparse array keeps its integer keys as a map.
  EXPECT_EQ(json_of(*encode_lua(s, "return {[1] = 'a', [3] = 'c'}")), R"({"1":"a","3":"c"})");
}

TEST(LuaValue, NonUtf8StringsAreEncodedAsBinary) {
  troupe::lua::state s{0};
  auto out = encode_lua(s, "return '\\xff\\x00\\x01'");
  ASSERT_TRUE(out);
  auto handle = troupe::unpack(*out);
  EXPECT_EQ(handle->get().type, msgpack::type::BIN);
  EXPECT_EQ(handle->get().via.bin.size, 3u);
}

TEST(LuaValue, OverlongFormsAndSurrogatesAreEncodedAsBinaryNotAsText) {
  troupe::lua::state s{0};
  for (const char* code : {"return '\\xc0\\xaf'", "return '\\xed\\xa0\\x80'",
                           "return 'ok \\xf4\\x90\\x80\\x80'"}) {
    auto out = encode_lua(s, code);
    ASSERT_TRUE(out) << code;
    auto handle = troupe::unpack(*out);
    EXPECT_EQ(handle->get().type, msgpack::type::BIN) << code;
  }
  auto text = encode_lua(s, "return 'caf\\xc3\\xa9 \\xe2\\x82\\xac'");
  ASSERT_TRUE(text);
  EXPECT_EQ(troupe::unpack(*text)->get().type, msgpack::type::STR);
}

TEST(LuaValue, IssueExampleOfBytesThatAreNotUtf8RendersAsJsonWithoutThrowing) {
  troupe::lua::state s{0};
  auto out = encode_lua(s, "return {['\\xff\\xfe'] = '\\xc0\\xaf\\x00\\xed\\xa0\\x80'}");
  ASSERT_TRUE(out);
  auto json = troupe::payload_to_json(*out);
  ASSERT_TRUE(json) << troupe::describe(json.error());
  EXPECT_EQ(troupe::render_json(*json),
            R"({"{\"bytes\":[255,254],\"subtype\":null}":{"bytes":[192,175,0,237,160,128],"subtype":null}})");
}

TEST(LuaValue, FunctionsAreBadInputNamingWhereTheySit) {
  troupe::lua::state s{0};
  auto out = encode_lua(s, "return {items = {1, 2, function() end}}");
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code(), static_cast<std::uint8_t>(errc::bad_input));
  EXPECT_NE(troupe::describe(out.error()).find("result[\"items\"][3]: cannot encode a function"),
            std::string::npos) << troupe::describe(out.error());
}

TEST(LuaValue, CyclesAreBadInputNotAHang) {
  troupe::lua::state s{0};
  auto out = encode_lua(s, "local t = {} t.self = t return t");
  ASSERT_FALSE(out);
  EXPECT_NE(troupe::describe(out.error()).find("cycle"), std::string::npos);
  // The same table twice side by side is no cycle.
  EXPECT_EQ(json_of(*encode_lua(s, "local t = {1} return {t, t}")), "[[1],[1]]");
}

TEST(LuaValue, TooDeepNestingIsBadInput) {
  troupe::lua::state s{0};
  auto out = encode_lua(s, "local t = {} for i = 1, 1000 do t = {t} end return t");
  ASSERT_FALSE(out);
  EXPECT_NE(troupe::describe(out.error()).find("deeper"), std::string::npos);
}

TEST(LuaValue, NanAndInfinitySurviveAsFloats) {
  troupe::lua::state s{0};
  auto out = encode_lua(s, "return {0/0, 1/0}");
  ASSERT_TRUE(out);
  auto values = troupe::unpack_as<std::vector<double>>(*out);
  ASSERT_TRUE(values);
  EXPECT_TRUE(std::isnan((*values)[0]));
  EXPECT_TRUE(std::isinf((*values)[1]));
}

TEST(LuaValue, MsgpackExtensionIsBadInputAndPushesNothing) {
  troupe::lua::state s{0};
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  packer.pack_ext(1, 5);
  packer.pack_ext_body("x", 1);
  troupe::payload in{{buffer.data(), buffer.data() + buffer.size()}};
  int top = lua_gettop(s.get());
  auto err = troupe::lua::push_payload(s.get(), in, "p");
  EXPECT_EQ(err.code(), static_cast<std::uint8_t>(errc::bad_input));
  EXPECT_EQ(troupe::plugin_of(err), "p");
  EXPECT_EQ(lua_gettop(s.get()), top);
}

TEST(LuaState, MemoryCapRefusesAllocationsAndTheStateStaysUsable) {
  troupe::lua::state s{256 * 1024};
  luaL_requiref(s.get(), "string", luaopen_string, 1);
  lua_pop(s.get(), 1);
  auto out = encode_lua(s, "return string.rep('x', 10 * 1024 * 1024)");
  ASSERT_FALSE(out);
  EXPECT_NE(troupe::describe(out.error()).find("not enough memory"), std::string::npos);
  EXPECT_LE(s.memory().used, 256u * 1024u);
  EXPECT_EQ(json_of(*encode_lua(s, "return string.rep('y', 3)")), "\"yyy\"");
}

TEST(LuaState, ClosingTheStateReturnsEveryByte) {
  troupe::lua::state s{0};
  auto before = s.memory().used;
  encode_lua(s, "local t = {} for i = 1, 10000 do t[i] = {i} end return #t");
  lua_gc(s.get(), LUA_GCCOLLECT);
  EXPECT_GE(s.memory().peak, before);
  EXPECT_LE(s.memory().used, before + 4096);
}

// -- the direct msgpack reader (plugins/lua/msgpack_reader) against msgpack-c's tree ------------

std::vector<std::uint8_t> bytes_of(const msgpack::sbuffer& b) {
  return {b.data(), b.data() + b.size()};
}

TEST(MsgpackReader, EveryTypeDecodesAsMsgpackCDoes) {
  troupe::lua::state s{0};
  std::vector<std::vector<std::uint8_t>> cases = {
    {0xc0}, {0xc2}, {0xc3}, {0x00}, {0x7f}, {0xe0}, {0xff},                  // nil, bools, fixints
    {0xcc, 0xff}, {0xcd, 0xff, 0xfe}, {0xce, 0x80, 0, 0, 1},                 // uint 8/16/32
    {0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},                  // uint64 = INT64_MAX
    {0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0}, {0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
    {0xd0, 0x80}, {0xd0, 0x05}, {0xd1, 0x80, 0x00}, {0xd2, 0x80, 0, 0, 0},   // int 8/16/32
    {0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0}, {0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe},
    {0xca, 0x3f, 0xc0, 0, 0}, {0xca, 0x7f, 0xc0, 0, 0}, {0xca, 0xff, 0x80, 0, 0},  // float32
    {0xcb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18}, {0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0},
    {0xa0}, {0xa3, 'a', 'b', 'c'}, {0xd9, 2, 0xff, 0xfe}, {0xda, 0, 1, 'x'}, {0xdb, 0, 0, 0, 1, 'y'},
    {0xc4, 2, 0, 1}, {0xc5, 0, 1, 0xff}, {0xc6, 0, 0, 0, 0},                 // bin 8/16/32
    {0x90}, {0x92, 1, 0xc0}, {0xdc, 0, 2, 1, 2}, {0xdd, 0, 0, 0, 1, 0xc3},   // arrays
    {0x80}, {0x81, 0xa1, 'k', 1}, {0xde, 0, 1, 1, 2}, {0xdf, 0, 0, 0, 1, 0xc2, 0xc3},  // maps
    {0x81, 0x91, 1, 2}, {0x81, 0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xa1, 'f'},  // table, 1.0 keys
  };
  for (const auto& bytes : cases)
    EXPECT_TRUE(troupe::test::expect_same_decoding(s.get(), bytes)) << int(bytes[0]);
  EXPECT_EQ(lua_gettop(s.get()), 0);
}

TEST(MsgpackReader, WhatLuaCannotHoldFailsWithTheSameErrors) {
  troupe::lua::state s{0};
  std::vector<std::vector<std::uint8_t>> cases = {
    {0xd4, 0x05, 1}, {0xd5, 0xfe, 1, 2}, {0xd6, 1, 0, 0, 0, 0}, {0xd7, 1, 0, 0, 0, 0, 0, 0, 0, 0},
    {0xd8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0xc7, 1, 0x80, 9},
    {0xc8, 0, 0, 3}, {0xc9, 0, 0, 0, 0, 3}, {0x92, 1, 0xd4, 1, 1},           // ext, also nested
    {0x81, 0xc0, 1}, {0x81, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 1},          // nil and NaN keys
  };
  for (const auto& bytes : cases)
    EXPECT_TRUE(troupe::test::expect_same_decoding(s.get(), bytes)) << int(bytes[0]);
}

TEST(MsgpackReader, MalformedPayloadsKeepUnpackInsErrors) {
  troupe::lua::state s{0};
  std::vector<std::vector<std::uint8_t>> cases = {
    {}, {0xc1}, {0x01, 0x02}, {0x92, 1}, {0xa5, 'a'}, {0xcd, 1}, {0xdc, 0},
    {0xdd, 0xff, 0xff, 0xff, 0xff}, {0xdf, 0xff, 0xff, 0xff, 0xff, 0}, {0xdb, 0xff, 0xff, 0xff, 0xff},
    {0xc9, 0xff, 0xff, 0xff, 0xff, 1}, {0x81, 1}, {0x91, 0xc1},
  };
  for (const auto& bytes : cases)
    EXPECT_FALSE(troupe::test::expect_same_decoding(s.get(), bytes));
}

TEST(MsgpackReader, NestingLimitIsUnpackInsAtEveryDepthAroundIt) {
  troupe::lua::state s{0};
  for (std::size_t depth : {1u, 200u, 254u, 255u, 256u, 257u, 300u, 5000u}) {
    std::vector<std::uint8_t> bytes(depth, 0x91);
    bytes.push_back(0x01);
    bool direct = troupe::test::expect_same_decoding(s.get(), bytes);
    if (depth < troupe::max_payload_depth) {
      EXPECT_TRUE(direct) << depth;
    }
  }
}

TEST(MsgpackReader, RandomPayloadsAndTheirMutationsDecodeAsBefore) {
  troupe::lua::state s{0};
  std::mt19937 rng{20261129};
  int direct = 0;
  for (int i = 0; i < 3000; ++i) {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> out(buffer);
    troupe::test::pack_random(out, rng, 4);
    auto bytes = bytes_of(buffer);
    switch (rng() % 4) {
      case 0: bytes[rng() % bytes.size()] = static_cast<std::uint8_t>(rng()); break;
      case 1: bytes.resize(rng() % bytes.size()); break;
      case 2: bytes.push_back(static_cast<std::uint8_t>(rng())); break;
      default: break;
    }
    direct += troupe::test::expect_same_decoding(s.get(), bytes) ? 1 : 0;
    if (HasFailure())
      FAIL() << "payload " << i;
  }
  EXPECT_GT(direct, 1000); // the direct reader took most of them
}

TEST(MsgpackReader, PushPayloadStillRefusesExtensionsAndPushesNothing) {
  troupe::lua::state s{0};
  troupe::payload in{{0x92, 0x01, 0xd4, 0x07, 0x00}};
  auto err = troupe::lua::push_payload(s.get(), in, "p");
  EXPECT_EQ(err.code(), static_cast<std::uint8_t>(errc::bad_input));
  EXPECT_NE(troupe::describe(err).find("extension type (7)"), std::string::npos);
  EXPECT_EQ(lua_gettop(s.get()), 0);
}

} // namespace
