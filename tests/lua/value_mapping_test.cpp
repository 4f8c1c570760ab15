// The payload <-> Lua value mapping seen through a plugin's execute, both directions (the
// json_parse / json_encode builtins are in json_builtins_test.cpp).

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "lua/lua_test_support.hpp"

namespace troupe::lua::test {
namespace {

using json = nlohmann::json;

constexpr const char* identity = "function execute(x) return x end";

/// Answers {type(x), math.type(x)} for its input.
constexpr const char* typer = R"(
  function execute(x) return { type(x), math.type(x) or "-" } end
)";

/// Runs the Lua expression given as input (a string) and answers its value.
constexpr const char* evaluator = R"(
  function execute(code) return load("return " .. code)() end
)";

class ValueMapping : public lua_fixture {};

// -- scalars -------------------------------------------------------------------------------------

TEST_F(ValueMapping, NilRoundTrips) {
  auto h = host_ok(identity);
  EXPECT_EQ(*run(h, "null"), json());
  auto none = host_ok("function execute(x) end", {}, small_limits(), "silent");
  auto out = none.execute(pack(1));
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(type_of(*out), msgpack::type::NIL);
}

TEST_F(ValueMapping, BooleansRoundTrip) {
  auto h = host_ok(identity);
  EXPECT_EQ(*run(h, "true"), true);
  EXPECT_EQ(*run(h, "false"), false);
  auto t = host_ok(typer, {}, small_limits(), "typer");
  EXPECT_EQ(*run(t, "false"), json::parse(R"(["boolean","-"])"));
}

TEST_F(ValueMapping, IntegersIncludingInt64ExtremesRoundTrip) {
  auto h = host_ok(identity);
  auto t = host_ok(typer, {}, small_limits(), "typer");
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{127}, std::int64_t{-33},
                         std::int64_t{1} << 40, std::numeric_limits<std::int64_t>::max(),
                         std::numeric_limits<std::int64_t>::min()}) {
    auto out = h.execute(pack(v));
    ASSERT_TRUE(out) << text_of(out.error());
    EXPECT_EQ(*unpack_as<std::int64_t>(*out), v);
    EXPECT_EQ(*as_json(t.execute(pack(v))), json::parse(R"(["number","integer"])")) << v;
  }
}

TEST_F(ValueMapping, UnsignedAboveInt64MaxBecomesAFloat) {
  auto t = host_ok(typer);
  auto big = pack(std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(*as_json(t.execute(big)), json::parse(R"(["number","float"])"));
  auto h = host_ok(identity, {}, small_limits(), "identity");
  auto out = h.execute(big);
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(type_of(*out), msgpack::type::FLOAT64);
  EXPECT_DOUBLE_EQ(*unpack_as<double>(*out), 18446744073709551616.0);
}

TEST_F(ValueMapping, FloatsStayFloatsEvenWhenIntegral) {
  auto h = host_ok(identity);
  for (double v : {1.0, 0.5, -2.25, 1e300, 0.0}) {
    auto out = h.execute(float64_payload(v));
    ASSERT_TRUE(out) << text_of(out.error());
    EXPECT_EQ(type_of(*out), msgpack::type::FLOAT64) << v;
    EXPECT_DOUBLE_EQ(*unpack_as<double>(*out), v);
  }
  auto t = host_ok(typer, {}, small_limits(), "typer");
  EXPECT_EQ(*as_json(t.execute(float64_payload(1.0))), json::parse(R"(["number","float"])"));
  // float32 arrives as a Lua float as well.
  EXPECT_EQ(*as_json(t.execute(raw_payload({0xca, 0x3f, 0x80, 0x00, 0x00}))),
            json::parse(R"(["number","float"])"));
}

TEST_F(ValueMapping, LuaArithmeticKeepsItsSubtypeOnTheWayOut) {
  auto h = host_ok(evaluator);
  auto expect_type = [&](const std::string& code, msgpack::type::object_type wanted) {
    auto out = h.execute(pack(code));
    ASSERT_TRUE(out) << code << ": " << text_of(out.error());
    EXPECT_EQ(type_of(*out), wanted) << code;
  };
  expect_type("1.0", msgpack::type::FLOAT64);
  expect_type("7 / 7", msgpack::type::FLOAT64);
  expect_type("2^53", msgpack::type::FLOAT64);
  expect_type("7 // 2", msgpack::type::POSITIVE_INTEGER);
  expect_type("-7 // 2", msgpack::type::NEGATIVE_INTEGER);
  expect_type("math.tointeger(3.0)", msgpack::type::POSITIVE_INTEGER);
}

TEST_F(ValueMapping, NanAndInfinityArePassedAsFloats) {
  auto h = host_ok(evaluator);
  auto out = h.execute(pack(std::string("{0/0, 1/0, -1/0}")));
  ASSERT_TRUE(out) << text_of(out.error());
  auto values = unpack_as<std::vector<double>>(*out);
  ASSERT_TRUE(values);
  ASSERT_EQ(values->size(), 3u);
  EXPECT_TRUE(std::isnan((*values)[0]));
  EXPECT_EQ((*values)[1], std::numeric_limits<double>::infinity());
  EXPECT_EQ((*values)[2], -std::numeric_limits<double>::infinity());
  auto checker = host_ok("function execute(x) return x ~= x end", {}, small_limits(), "nan");
  EXPECT_EQ(*as_json(checker.execute(float64_payload(std::nan("")))), true);
}

// -- strings -------------------------------------------------------------------------------------

TEST_F(ValueMapping, Utf8StringsRoundTripAsStrings) {
  auto h = host_ok(identity);
  for (std::string s : {"", "hello", "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x8e\xad"}) {
    auto out = h.execute(pack(s));
    ASSERT_TRUE(out) << text_of(out.error());
    EXPECT_EQ(type_of(*out), msgpack::type::STR);
    EXPECT_EQ(*unpack_as<std::string>(*out), s);
  }
}

TEST_F(ValueMapping, BinaryStringsRoundTripByteForByte) {
  auto h = host_ok(identity);
  std::vector<char> bytes{'\xff', '\x00', '\xfe', 'a', '\x80'};
  std::vector<std::uint8_t> wire{0xc4, static_cast<std::uint8_t>(bytes.size())};
  wire.insert(wire.end(), bytes.begin(), bytes.end());
  auto out = h.execute(raw_payload(wire));
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(out->bytes, wire);
  auto len = host_ok("function execute(x) return #x end", {}, small_limits(), "len");
  EXPECT_EQ(*as_json(len.execute(raw_payload(wire))), 5);
}

TEST_F(ValueMapping, LuaBuiltBytesThatAreNotUtf8BecomeBinary) {
  auto h = host_ok("function execute() return '\\0\\1\\2\\255' end");
  auto out = h.execute(nil_payload());
  ASSERT_TRUE(out) << text_of(out.error());
  auto handle = unpack(*out);
  ASSERT_EQ(handle->get().type, msgpack::type::BIN);
  EXPECT_EQ(std::string(handle->get().via.bin.ptr, handle->get().via.bin.size),
            std::string("\0\1\2\xff", 4));
}

TEST_F(ValueMapping, BinaryThatIsValidUtf8ComesBackAsAString) {
  auto h = host_ok(identity);
  auto out = h.execute(raw_payload({0xc4, 0x02, 'o', 'k'}));
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(type_of(*out), msgpack::type::STR); // Lua has one string type
  EXPECT_EQ(*unpack_as<std::string>(*out), "ok");
}

// -- tables --------------------------------------------------------------------------------------

TEST_F(ValueMapping, ArraysMapsAndNestingRoundTrip) {
  auto h = host_ok(identity);
  for (const char* text : {R"([1,"two",3.5,true])", R"({"a":1,"b":{"c":[1,2,{"d":"e"}]}})",
                           R"([[1,[2,[3,[4]]]],{"k":[{"x":null}]}])"}) {
    auto in = json::parse(text);
    auto out = run(h, text);
    ASSERT_TRUE(out) << text_of(out.error());
    if (std::string(text).find("null") != std::string::npos)
      in[1]["k"][0] = json::object(); // a null member is an absent key in Lua
    EXPECT_EQ(*out, in) << text;
  }
}

TEST_F(ValueMapping, LuaSequencesBecomeArraysAndOtherTablesMaps) {
  auto h = host_ok(evaluator);
  auto out = h.execute(pack(std::string("{1, 2, {3}}")));
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(type_of(*out), msgpack::type::ARRAY);
  EXPECT_EQ(*as_json(h.execute(pack(std::string("{name = 'x', tags = {'a', 'b'}}")))),
            json::parse(R"({"name":"x","tags":["a","b"]})"));
}

TEST_F(ValueMapping, EmptyTableBecomesAnEmptyMap) {
  auto h = host_ok(identity);
  auto out = h.execute(pack(std::vector<int>{})); // [] in, {} out: Lua cannot tell them apart
  ASSERT_TRUE(out) << text_of(out.error());
  auto handle = unpack(*out);
  EXPECT_EQ(handle->get().type, msgpack::type::MAP);
  EXPECT_EQ(handle->get().via.map.size, 0u);
}

TEST_F(ValueMapping, SparseArraysBecomeMapsWithIntegerKeys) {
  auto h = host_ok(evaluator);
  auto out = h.execute(pack(std::string("{[1] = 'a', [3] = 'c'}")));
  ASSERT_TRUE(out) << text_of(out.error());
  auto as_map = unpack_as<std::map<std::int64_t, std::string>>(*out);
  ASSERT_TRUE(as_map) << text_of(as_map.error());
  EXPECT_EQ(*as_map, (std::map<std::int64_t, std::string>{{1, "a"}, {3, "c"}}));
  // An array with a null hole comes back the same way.
  auto id = host_ok(identity, {}, small_limits(), "identity");
  EXPECT_EQ(*run(id, "[1, null, 3]"), json::parse(R"({"1":1,"3":3})"));
  // A mix of sequence and named keys is a map too.
  EXPECT_EQ(*as_json(h.execute(pack(std::string("{10, 20, n = 2}")))),
            json::parse(R"({"1":10,"2":20,"n":2})"));
}

TEST_F(ValueMapping, MapWithKeysOneToNComesBackAsAnArray) {
  auto h = host_ok(identity);
  std::map<int, std::string> in{{1, "a"}, {2, "b"}};
  auto out = h.execute(pack(in));
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(*as_json(std::move(out)), json::parse(R"(["a","b"])"));
}

TEST_F(ValueMapping, ATableWithAHoleAndAsManyEntriesAsItsBorderIsAMap) {
  // t has 3 entries and its border is 3, but t[2] is nil: the encoder finds the hole only
  // while packing t[1..3] as an array, and must start over with the table as a map.
  auto h = host_ok("function execute() local t = {1, 2, 3} t[2] = nil t.x = true return t end");
  EXPECT_EQ(*run(h, "null"), json::parse(R"({"1":1,"3":3,"x":true})"));
  auto nested = host_ok("function execute() local t = {{1}, 2, 3} t[2] = nil t.x = {{true}} "
                        "return {t} end", {}, small_limits(), "nested");
  EXPECT_EQ(*run(nested, "null"), json::parse(R"([{"1":[1],"3":3,"x":[[true]]}])"));
  auto bad = host_ok("function execute() local t = {1, 2, print} t[2] = nil t.x = 1 return t end",
                     {}, small_limits(), "bad");
  EXPECT_LUA_ERROR(bad.execute(nil_payload()), errc::bad_input,
                   "result[3]: cannot encode a function");
}

TEST_F(ValueMapping, MapsOfEveryHeaderSizeEncodeAsMsgpackCPacksThem) {
  // Map headers are written after the entries are counted: fixmap below 16 entries, map 16
  // below 65536, map 32 from there, exactly as msgpack-c would pack the same map.
  auto h = host_ok("function execute(n) local t = {} for i = 1, n do t[2 * i] = i end return t end",
                   {}, sandbox_limits{}, "maps");
  for (int n : {1, 15, 16, 300, 65535, 65536}) {
    auto out = h.execute(pack(n));
    ASSERT_TRUE(out) << n << ": " << text_of(out.error());
    auto handle = unpack(*out);
    ASSERT_TRUE(handle) << n;
    ASSERT_EQ(handle->get().type, msgpack::type::MAP) << n;
    EXPECT_EQ(handle->get().via.map.size, static_cast<std::uint32_t>(n));
    msgpack::sbuffer again;
    msgpack::pack(again, handle->get());
    EXPECT_EQ(std::vector<std::uint8_t>(again.data(), again.data() + again.size()), out->bytes)
      << n;
  }
}

/// A map whose keys collide in the state's key cache in many ways: every length from 0 to 40
/// (the cache holds up to 32 bytes), pairs alike in their length and first, middle and last
/// bytes, and more keys than the cache has slots.
json colliding_keys(int round) {
  json m = json::object();
  for (int n = 0; n <= 40; ++n) {
    std::string key(static_cast<std::size_t>(n), 'k');
    m[key] = n + round;
    if (n >= 3) {
      key[1] = 'x';
      m[key] = -n - round;
      key[1] = 'y';
      m[key] = std::to_string(n);
    }
  }
  for (int i = 0; i < 100; ++i)
    m["key" + std::to_string(i * 7 + round)] = i;
  return m;
}

TEST_F(ValueMapping, MapKeysThatCollideInTheKeyCacheRoundTrip) {
  auto h = host_ok("function execute(x) local n = 0 for k in pairs(x) do n = n + 1 end "
                   "return {x = x, n = n, short = x['kxk'], long = x[string.rep('k', 40)]} end");
  for (int round = 0; round < 3; ++round) {
    auto in = colliding_keys(round);
    auto out = run(h, in.dump());
    ASSERT_TRUE(out) << text_of(out.error());
    EXPECT_EQ((*out)["x"], in) << round;
    EXPECT_EQ((*out)["n"], in.size()) << round;
    EXPECT_EQ((*out)["short"], -3 - round);
    EXPECT_EQ((*out)["long"], 40 + round);
  }
}

TEST_F(ValueMapping, NonStringKeysSurvive) {
  auto h = host_ok(evaluator);
  auto out = h.execute(pack(std::string("{[true] = 'yes', [2.5] = 'half', [-1] = 'neg'}")));
  ASSERT_TRUE(out) << text_of(out.error());
  auto handle = unpack(*out);
  ASSERT_EQ(handle->get().type, msgpack::type::MAP);
  EXPECT_EQ(handle->get().via.map.size, 3u);
}

TEST_F(ValueMapping, OnlyTheFirstResultIsReturned) {
  auto h = host_ok("function execute() return 1, 2, 3 end");
  EXPECT_EQ(*run(h, "null"), 1);
}

// -- depth limits --------------------------------------------------------------------------------

TEST_F(ValueMapping, InputNestedAtTheLimitIsAcceptedAndOneDeeperIsBadInput) {
  auto h = host_ok("function execute(x) local d = 0 while type(x) == 'table' do d = d + 1 "
                   "x = x[1] end return d end");
  auto at_limit = h.execute(nested_arrays(max_payload_depth));
  ASSERT_TRUE(at_limit) << text_of(at_limit.error());
  EXPECT_EQ(*as_json(std::move(at_limit)), static_cast<int>(max_payload_depth));
  EXPECT_LUA_ERROR(h.execute(nested_arrays(max_payload_depth + 1)), errc::bad_input, "");
  EXPECT_LUA_ERROR(h.execute(nested_arrays(100000)), errc::bad_input, "");
  EXPECT_EQ(*run(h, "[[1]]"), 2); // and it goes on serving
}

TEST_F(ValueMapping, OutputNestedAtTheLimitIsEncodedAndOneDeeperIsBadInput) {
  auto h = host_ok("function execute(n) local t = {} for i = 2, n do t = {t} end return t end");
  auto at_limit = h.execute(pack(static_cast<int>(max_payload_depth)));
  ASSERT_TRUE(at_limit) << text_of(at_limit.error());
  EXPECT_TRUE(unpack(*at_limit));
  EXPECT_LUA_ERROR(h.execute(pack(static_cast<int>(max_payload_depth) + 1)), errc::bad_input,
                   "deeper than 256");
  EXPECT_LUA_ERROR(h.execute(pack(100000)), errc::bad_input, "deeper");
}

// -- what cannot be encoded ----------------------------------------------------------------------

TEST_F(ValueMapping, FunctionInTheResultIsBadInputNamingThePath) {
  auto h = host_ok(evaluator);
  EXPECT_LUA_ERROR(h.execute(pack(std::string("{items = {1, 2, function() end}}"))),
                   errc::bad_input, "result[\"items\"][3]: cannot encode a function");
  EXPECT_LUA_ERROR(h.execute(pack(std::string("print"))), errc::bad_input,
                   "result: cannot encode a function");
}

TEST_F(ValueMapping, CycleInTheResultIsBadInputNamingThePath) {
  auto h = host_ok("function execute() local t = {inner = {}} t.inner.back = t return t end");
  EXPECT_LUA_ERROR(h.execute(nil_payload()), errc::bad_input, "result[\"inner\"][\"back\"]");
  EXPECT_LUA_ERROR(h.execute(nil_payload()), errc::bad_input, "cycle");
}

TEST_F(ValueMapping, CoroutineInTheResultIsBadInputNamingThePath) {
  auto h = host_ok("function execute() return {co = coroutine.create(function() end)} end");
  EXPECT_LUA_ERROR(h.execute(nil_payload()), errc::bad_input,
                   "result[\"co\"]: cannot encode a thread");
}

TEST_F(ValueMapping, FunctionAsAKeyIsBadInput) {
  auto h = host_ok("function execute() return {[print] = 1} end");
  EXPECT_LUA_ERROR(h.execute(nil_payload()), errc::bad_input, "cannot encode a function");
}

TEST_F(ValueMapping, SharedSubtablesAreNoCycle) {
  auto h = host_ok("function execute() local t = {1} return {t, t, {t}} end");
  EXPECT_EQ(*run(h, "null"), json::parse("[[1],[1],[[1]]]"));
}

// -- what cannot be decoded ----------------------------------------------------------------------

TEST_F(ValueMapping, MalformedPayloadsAreBadInput) {
  auto h = host_ok(identity);
  EXPECT_LUA_ERROR(h.execute(raw_payload({})), errc::bad_input, "empty payload");
  EXPECT_LUA_ERROR(h.execute(raw_payload({0x92, 0x01})), errc::bad_input, "");   // truncated
  EXPECT_LUA_ERROR(h.execute(raw_payload({0x01, 0x02})), errc::bad_input, "trailing");
  EXPECT_LUA_ERROR(h.execute(raw_payload({0xdd, 0xff, 0xff, 0xff, 0xff})), errc::bad_input, "");
  EXPECT_LUA_ERROR(h.execute(raw_payload({0xd4, 0x01, 0x00})), errc::bad_input, "extension");
  EXPECT_EQ(*run(h, "\"still fine\""), "still fine");
}

TEST_F(ValueMapping, NilAndNanMapKeysAreBadInput) {
  auto h = host_ok(identity);
  EXPECT_LUA_ERROR(h.execute(raw_payload({0x81, 0xc0, 0x01})), errc::bad_input, "map key");
  std::vector<std::uint8_t> nan_key{0x81};
  auto nan = float64_payload(std::nan("")).bytes;
  nan_key.insert(nan_key.end(), nan.begin(), nan.end());
  nan_key.push_back(0x01);
  EXPECT_LUA_ERROR(h.execute(raw_payload(nan_key)), errc::bad_input, "NaN");
}

} // namespace
} // namespace troupe::lua::test
