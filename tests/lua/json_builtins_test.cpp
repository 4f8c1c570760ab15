// The json_parse and json_encode builtins: round trips, null, errors, depth, integers and floats.

#include <string>

#include "lua/lua_test_support.hpp"

namespace troupe::lua::test {
namespace {

using json = nlohmann::json;

class LuaJson : public lua_fixture {
protected:
  void SetUp() override {
    lua_fixture::SetUp();
    parse = host_ok(R"(
      function execute(text) local v, err = json_parse(text) return {value = v, err = err} end
      function depth(text)
        local v, err = json_parse(text)
        if v == nil then return err end
        local d = 0
        while type(v) == "table" do d = d + 1 v = v[1] end
        return d
      end
      function sums(array_text, object_text)
        local a, o = json_parse(array_text), json_parse(object_text)
        local sa, so, no = 0, 0, 0
        for _, v in ipairs(a) do sa = sa + v end
        for _, v in pairs(o) do so = so + v no = no + 1 end
        return {#a, sa, no, so}
      end
      function exact(...)
        local out = {}
        for i, text in ipairs({...}) do out[i] = json_parse(text) == tonumber(text) end
        return out
      end
      function types(text)
        local v = json_parse(text)
        local out = {}
        for i, x in ipairs(v) do out[i] = math.type(x) end
        return out
      end
    )", {}, small_limits(), "parser");
    encode = host_ok(R"(
      function execute(x) return json_encode(x) end
      function encode_lua(code) return json_encode(load("return " .. code)()) end
      function try_encode(code)
        local ok, err = pcall(json_encode, load("return " .. code)())
        return {ok = ok, err = err}
      end
    )", {}, small_limits(), "encoder");
  }

  /// json_parse(text) as {value, err}.
  json parsed(const std::string& text) {
    auto out = as_json(parse.execute(pack(text)));
    EXPECT_TRUE(out) << text_of(out.error());
    return out ? *out : json();
  }

  /// json_encode of the Lua expression `code`.
  std::string encoded(const std::string& code) {
    auto out = call(encode, "encode_lua", json::array({code}).dump());
    EXPECT_TRUE(out) << code << ": " << text_of(out.error());
    return out && out->is_string() ? out->get<std::string>() : std::string();
  }

  hosted_script parse;
  hosted_script encode;
};

TEST_F(LuaJson, MemberNamesThatCollideInTheKeyCacheParseExactly) {
  // Names of every length around the cache's 32-byte bound, names alike in length and first,
  // middle and last bytes, and more names than the cache has slots, parsed more than once.
  json doc = json::object();
  for (int n = 0; n <= 40; ++n) {
    std::string name(static_cast<std::size_t>(n), 'm');
    doc[name] = n;
    if (n >= 3) {
      name[1] = 'x';
      doc[name] = {{"inner" + std::to_string(n), -n}};
    }
  }
  for (int i = 0; i < 100; ++i)
    doc["name" + std::to_string(i)] = i;
  for (int round = 0; round < 3; ++round) {
    auto out = run(parse, json(doc.dump()).dump());
    ASSERT_TRUE(out) << text_of(out.error());
    EXPECT_EQ((*out)["value"], doc) << round;
  }
}

TEST_F(LuaJson, ParseThenEncodeRoundTrips) {
  const std::string text = R"({"a":[1,2,{"b":"c"}],"d":1.5,"e":true,"f":"\u00e9"})";
  auto value = parsed(text)["value"];
  EXPECT_EQ(value, json::parse(text));
  auto again = as_json(encode.execute(pack(text)));
  ASSERT_TRUE(again);
  EXPECT_EQ(json::parse(again->get<std::string>()), json(text)); // a string stays a string
  auto from_value = run(encode, text);
  ASSERT_TRUE(from_value) << text_of(from_value.error());
  EXPECT_EQ(json::parse(from_value->get<std::string>()), json::parse(text));
}

TEST_F(LuaJson, NullIsNilAnAbsentMemberOrAHole) {
  EXPECT_EQ(parsed("null"), json::object()); // value nil, no error: both absent
  EXPECT_EQ(parsed(R"({"a":null,"b":1})")["value"], json::parse(R"({"b":1})"));
  EXPECT_EQ(parsed("[1,null,3]")["value"], json::parse(R"({"1":1,"3":3})"));
  EXPECT_EQ(encoded("nil"), "null");
}

TEST_F(LuaJson, BadJsonReturnsNilAndAMessageWithThePosition) {
  for (const char* bad : {"{", "[1,2", "{\"a\" 1}", "tru", "", "[1] 2"}) {
    auto out = parsed(bad);
    EXPECT_FALSE(out.contains("value")) << bad;
    ASSERT_TRUE(out.contains("err")) << bad;
    auto err = out["err"].get<std::string>();
    EXPECT_EQ(err.rfind("json_parse: ", 0), 0u) << err;
  }
  auto err = parsed("[1, 2, oops]")["err"].get<std::string>();
  EXPECT_NE(err.find("offset 7"), std::string::npos) << err;
  err = parsed("[1] 2")["err"].get<std::string>();
  EXPECT_NE(err.find("offset 4"), std::string::npos) << err;
}

TEST_F(LuaJson, EmbeddedNulBytesGiveTheSameErrorsAsBefore) {
  // json_parse parses a copy of the text in place, which ends at a NUL byte; the memory stream
  // it used before read the NUL as a character. Both stop at it with the same error.
  const std::vector<std::pair<std::string, std::string>> cases{
    {std::string("[1,\0 2]", 7), "json_parse: Invalid value. at offset 3"},
    {std::string("1\0", 2), "json_parse: unexpected text after the JSON value at offset 1"},
    {std::string("\"a\0b\"", 5), "json_parse: Missing a closing quotation mark in string. at offset 2"},
    {std::string("{\"k\0\":1}", 8), "json_parse: Missing a closing quotation mark in string. at offset 3"},
    {std::string("[1] \0", 5), "json_parse: unexpected text after the JSON value at offset 4"},
    {std::string("\0", 1), "json_parse: The document is empty. at offset 0"},
  };
  for (const auto& [text, expected] : cases) {
    auto out = parsed(text);
    EXPECT_FALSE(out.contains("value")) << expected;
    EXPECT_EQ(out["err"], expected);
  }
  EXPECT_EQ(parsed(std::string("\"a\\u0000b\"", 10))["value"], std::string("a\0b", 3));
}

TEST_F(LuaJson, ParseDepthIsLimited) {
  auto depth = [&](std::size_t n) {
    auto text = std::string(n, '[') + "1" + std::string(n, ']');
    auto out = call(parse, "depth", json::array({text}).dump());
    EXPECT_TRUE(out) << text_of(out.error());
    return out ? *out : json();
  };
  EXPECT_EQ(depth(max_payload_depth), static_cast<int>(max_payload_depth));
  auto too_deep = depth(max_payload_depth + 1);
  ASSERT_TRUE(too_deep.is_string()) << too_deep;
  EXPECT_NE(too_deep.get<std::string>().find("deeper than 256"), std::string::npos) << too_deep;
  EXPECT_TRUE(depth(100000).is_string());
}

TEST_F(LuaJson, LongArraysAndObjectsParseCompletely) {
  std::string array = "[";
  json object = json::object();
  for (int i = 1; i <= 5000; ++i) {
    array += std::to_string(i) + (i < 5000 ? "," : "]");
    object["k" + std::to_string(i)] = i;
  }
  auto sums = call(parse, "sums", json::array({array, object.dump()}).dump());
  ASSERT_TRUE(sums) << text_of(sums.error());
  EXPECT_EQ(*sums, json::parse("[5000, 12502500, 5000, 12502500]"));
}

// Regression test for a fixed bug (plugins/lua/lua_json.cpp, json_parse): RapidJSON's Reader is used without
// kParseFullPrecisionFlag, so decimal floats are not read correctly rounded: about one in six
// random doubles printed with %.17g comes back a few ulps off (193.99962310485398 ->
// 193.99962310485401, 2.2250738585072011e-308), while tonumber and the payload path are exact.
//
TEST_F(LuaJson, FloatsAreReadExactly) {
  auto out = call(parse, "exact", R"(["193.99962310485398", "9.2687834662879533e-292",
                                     "2.2250738585072011e-308", "0.1", "5e-324"])");
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(*out, json::parse("[true, true, true, true, true]"));
}

TEST_F(LuaJson, IntegersStayIntegersAndFloatsFloats) {
  auto types = call(parse, "types", R"(["[1, 1.0, 1e2, -5, 9007199254740993, 18446744073709551615]"])");
  ASSERT_TRUE(types) << text_of(types.error());
  EXPECT_EQ(*types, json::parse(R"(["integer","float","float","integer","integer","float"])"));
  EXPECT_EQ(encoded("1"), "1");
  EXPECT_EQ(encoded("1.0"), "1.0");
  EXPECT_EQ(encoded("math.maxinteger"), "9223372036854775807");
}

TEST_F(LuaJson, EncodeRendersTablesAsTheMappingSays) {
  EXPECT_EQ(encoded("{}"), "{}");
  EXPECT_EQ(encoded("{1, 2, 3}"), "[1,2,3]");
  EXPECT_EQ(encoded("{a = {b = 'c'}}"), R"({"a":{"b":"c"}})");
  EXPECT_EQ(encoded("{0/0, 1/0}"), "[null,null]");
  EXPECT_EQ(encoded("'\\255'"), R"({"bytes":[255],"subtype":null})");
}

TEST_F(LuaJson, EncodeRaisesForWhatJsonCannotHold) {
  auto attempt = [&](const std::string& code) {
    auto out = call(encode, "try_encode", json::array({code}).dump());
    EXPECT_TRUE(out) << text_of(out.error());
    return out ? *out : json();
  };
  auto fn = attempt("{f = print}");
  EXPECT_EQ(fn["ok"], false);
  EXPECT_NE(fn["err"].get<std::string>().find("json_encode"), std::string::npos) << fn;
  EXPECT_NE(fn["err"].get<std::string>().find("cannot encode a function"), std::string::npos) << fn;
  auto cycle = attempt("(function() local t = {} t[1] = t return t end)()");
  EXPECT_EQ(cycle["ok"], false);
  EXPECT_NE(cycle["err"].get<std::string>().find("cycle"), std::string::npos) << cycle;
  auto deep = attempt("(function() local t = {} for i = 1, 300 do t = {t} end return t end)()");
  EXPECT_EQ(deep["ok"], false);
  EXPECT_NE(deep["err"].get<std::string>().find("deeper"), std::string::npos) << deep;
  EXPECT_EQ(encoded("'ok'"), "\"ok\""); // and the plugin goes on
}

// Found by tests/fuzz/fuzz_msgpack_json in payload_to_json, which json_encode uses: a key's JSON
// text holds the texts of the tables nested in it as keys, escaped again at each level, so it
// doubled per level, in C++ outside the sandbox's instruction and memory limits (20 levels: a
// 6 MB string). The text of a key is cut after 1024 bytes.
TEST_F(LuaJson, EncodeOfTablesNestedAsKeysStaysSmall) {
  auto text = encoded("(function() local t = {['\"'] = 1} "
                      "for i = 1, 20 do t = {[t] = 1} end return t end)()");
  EXPECT_LT(text.size(), 2100u) << text.substr(0, 200); // the key, escaped once more
  EXPECT_EQ(text.substr(text.size() - 7), R"(...":1})") << text.substr(text.size() - 20);
}

// Regression test for a fixed bug (plugins/lua/lua_json.cpp, json_parse): lua_sax pushes a container's table in flush()
// (called from close()) without luaL_checkstack; only scalars and keys check the stack. An array
// of ~20 or more empty arrays or objects therefore writes past the end of the Lua stack: heap
// corruption ("free(): invalid pointer") or a segfault from untrusted JSON text, e.g.
// json_parse('[' .. string.rep('{},', 100) .. '{}]').
TEST_F(LuaJson, ParsesArraysOfManyEmptyContainers) {
  for (const char* item : {"[]", "{}"}) {
    std::string text = "[";
    for (int i = 0; i < 1000; ++i)
      text += std::string(item) + ",";
    text += std::string(item) + "]";
    auto out = call(parse, "types", json::array({text}).dump());
    ASSERT_TRUE(out) << text_of(out.error());
    EXPECT_EQ(out->size(), 0u); // math.type of a table is nil: an empty list of types
    EXPECT_EQ(parsed(text)["value"].size(), 1001u) << item;
  }
}

TEST_F(LuaJson, LongArraysWithHolesAndNestedItemsKeepEveryIndexAcrossBatches) {
  // More items than one batch (512) of the parser's stack, so the table is filled in two ways:
  // the first batch from the top of the stack down, the later ones in order.
  std::string text = "[";
  json expected = json::object();
  for (int i = 1; i <= 1300; ++i) {
    if (i % 3 == 0) {
      text += "null";
    } else if (i % 3 == 1) {
      text += "[" + std::to_string(i) + "]";
      expected[std::to_string(i)] = json::array({i});
    } else {
      text += std::to_string(i);
      expected[std::to_string(i)] = i;
    }
    text += i < 1300 ? "," : "]";
  }
  EXPECT_EQ(parsed(text)["value"], expected);
  EXPECT_EQ(parsed("[[1,2],[3],[]]")["value"], json::parse("[[1,2],[3],{}]"));
}

} // namespace
} // namespace troupe::lua::test
