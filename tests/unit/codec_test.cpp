// The msgpack and JSON codecs: round trips, and malformed input as bad_input errors.

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe {
namespace {

using nlohmann::json;

void expect_bad_input(const caf::error& err, const std::string& plugin,
                      const std::string& detail_part) {
  ASSERT_TRUE(is_troupe_error(err)) << describe(err);
  EXPECT_EQ(err.code(), static_cast<std::uint8_t>(errc::bad_input)) << describe(err);
  EXPECT_EQ(plugin_of(err), plugin) << describe(err);
  EXPECT_NE(detail_of(err).find(detail_part), std::string::npos) << describe(err);
}

// -- msgpack -------------------------------------------------------------------------------------

TEST(MsgpackCodec, StringRoundTrips) {
  auto out = unpack_as<std::string>(pack(std::string("hello, world")));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*out, "hello, world");
}

TEST(MsgpackCodec, IntegersRoundTripIncludingExtremes) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{127}, std::int64_t{-32},
                         std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max()}) {
    auto out = unpack_as<std::int64_t>(pack(v));
    ASSERT_TRUE(out) << describe(out.error());
    EXPECT_EQ(*out, v);
  }
  auto big = unpack_as<std::uint64_t>(pack(std::numeric_limits<std::uint64_t>::max()));
  ASSERT_TRUE(big);
  EXPECT_EQ(*big, std::numeric_limits<std::uint64_t>::max());
}

TEST(MsgpackCodec, NanAndInfinitySurviveAsBytes) {
  auto nan = unpack_as<double>(pack(std::numeric_limits<double>::quiet_NaN()));
  ASSERT_TRUE(nan);
  EXPECT_TRUE(std::isnan(*nan));
  auto inf = unpack_as<double>(pack(-std::numeric_limits<double>::infinity()));
  ASSERT_TRUE(inf);
  EXPECT_TRUE(std::isinf(*inf));
  EXPECT_LT(*inf, 0);
}

TEST(MsgpackCodec, ContainersRoundTrip) {
  std::map<std::string, std::vector<int>> value{{"a", {1, 2, 3}}, {"b", {}}, {"c", {-7}}};
  auto out = unpack_as<std::map<std::string, std::vector<int>>>(pack(value));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*out, value);
}

TEST(MsgpackCodec, NilPayloadIsOneNilByte) {
  EXPECT_EQ(nil_payload().bytes, std::vector<std::uint8_t>{0xc0});
  auto handle = unpack(nil_payload());
  ASSERT_TRUE(handle);
  EXPECT_TRUE(handle->get().is_nil());
}

TEST(MsgpackCodec, EmptyPayloadIsBadInputNamingTheDecoder) {
  auto out = unpack(payload{}, "decoder");
  ASSERT_FALSE(out);
  expect_bad_input(out.error(), "decoder", "empty payload");
}

TEST(MsgpackCodec, NeverUsedByteIsBadInput) {
  auto out = unpack(payload{{0xc1}}, "p");
  ASSERT_FALSE(out);
  expect_bad_input(out.error(), "p", "malformed msgpack");
}

TEST(MsgpackCodec, TruncatedDocumentIsBadInput) {
  auto full = pack(std::vector<std::string>{"one", "two", "three"});
  payload cut{std::vector<std::uint8_t>(full.bytes.begin(), full.bytes.end() - 2)};
  auto out = unpack(cut, "p");
  ASSERT_FALSE(out);
  expect_bad_input(out.error(), "p", "malformed msgpack");
}

TEST(MsgpackCodec, HugeDeclaredArrayWithoutElementsIsBadInput) {
  // array32 header claiming 4 billion elements, followed by nothing.
  auto out = unpack(payload{{0xdd, 0xff, 0xff, 0xff, 0xff}}, "p");
  ASSERT_FALSE(out);
  expect_bad_input(out.error(), "p", "malformed msgpack");
}

TEST(MsgpackCodec, TrailingBytesAreBadInputAndCounted) {
  auto p = pack(1);
  p.bytes.push_back(0x02);
  p.bytes.push_back(0x03);
  auto out = unpack(p, "p");
  ASSERT_FALSE(out);
  expect_bad_input(out.error(), "p", "2 trailing bytes");
}

TEST(MsgpackCodec, WrongTypeIsBadInput) {
  auto out = unpack_as<int>(pack(std::string("not a number")), "typed");
  ASSERT_FALSE(out);
  expect_bad_input(out.error(), "typed", "wrong type");
}

TEST(MsgpackCodec, MapFieldFindsStringKeysOnly) {
  auto handle = unpack(payload_from_json(json{{"op", "get"}, {"key", "k"}}));
  ASSERT_TRUE(handle);
  const auto* op = map_field(handle->get(), "op");
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->as<std::string>(), "get");
  EXPECT_EQ(map_field(handle->get(), "missing"), nullptr);
  auto not_a_map = unpack(pack(std::vector<int>{1, 2}));
  ASSERT_TRUE(not_a_map);
  EXPECT_EQ(map_field(not_a_map->get(), "op"), nullptr);
}

TEST(MsgpackCodec, PackObjectReencodesOneField) {
  auto handle = unpack(payload_from_json(json{{"value", {{"x", json::array({1, 2})}}}}));
  ASSERT_TRUE(handle);
  const auto* value = map_field(handle->get(), "value");
  ASSERT_NE(value, nullptr);
  auto reencoded = payload_to_json(pack_object(*value));
  ASSERT_TRUE(reencoded) << describe(reencoded.error());
  EXPECT_EQ(*reencoded, (json{{"x", json::array({1, 2})}}));
}

TEST(Payload, ComparesByBytes) {
  EXPECT_EQ(pack(std::string("a")), pack(std::string("a")));
  EXPECT_NE(pack(std::string("a")), pack(std::string("b")));
}

// Known bug (see the test report): unpack accepts any nesting depth, and payload_to_json recurses
// once per level, so a 50 KB payload of nested one-element arrays overflows the stack and kills
// the process. Disabled because it crashes instead of failing.
TEST(MsgpackCodec, DeeplyNestedPayloadIsBadInputNotAStackOverflow) {
  payload deep;
  deep.bytes.assign(100000, 0x91); // fixarray of one element, 100000 levels deep
  deep.bytes.push_back(0xc0);
  auto back = payload_to_json(deep, "p");
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code(), static_cast<std::uint8_t>(errc::bad_input));
}

// -- JSON ----------------------------------------------------------------------------------------

TEST(JsonCodec, NestedDocumentRoundTrips) {
  json doc = {{"name", "troupe"},
              {"count", 42},
              {"negative", -17},
              {"big", std::numeric_limits<std::int64_t>::min()},
              {"ratio", 0.125},
              {"flag", true},
              {"nothing", nullptr},
              {"list", json::array({1, "two", 3.5, json::array({}), json::object()})},
              {"nested", {{"deeper", {{"deepest", "yes"}}}}}};
  auto back = payload_to_json(payload_from_json(doc));
  ASSERT_TRUE(back) << describe(back.error());
  EXPECT_EQ(*back, doc) << back->dump();
}

TEST(JsonCodec, TextRoundTrips) {
  auto p = payload_from_json_text(R"({"a": [1, 2, {"b": null}], "c": "d"})");
  ASSERT_TRUE(p) << describe(p.error());
  auto back = payload_to_json(*p);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->dump(), R"({"a":[1,2,{"b":null}],"c":"d"})");
}

TEST(JsonCodec, JsonTextAndMsgpackPackAgree) {
  auto from_json = payload_from_json_text(R"("hi")");
  ASSERT_TRUE(from_json);
  EXPECT_EQ(*from_json, pack(std::string("hi")));
}

TEST(JsonCodec, InvalidJsonTextIsBadInput) {
  for (const char* text : {"{", "{\"a\": }", "[1, 2", "nope", ""}) {
    auto p = payload_from_json_text(text);
    ASSERT_FALSE(p) << text;
    expect_bad_input(p.error(), "", "invalid JSON");
  }
}

TEST(JsonCodec, NonStringMapKeysBecomeTheirJsonText) {
  auto back = payload_to_json(pack(std::map<int, std::string>{{1, "one"}, {-2, "minus two"}}));
  ASSERT_TRUE(back) << describe(back.error());
  EXPECT_EQ(*back, (json{{"1", "one"}, {"-2", "minus two"}}));
}

TEST(JsonCodec, BinaryBecomesAJsonBinaryValue) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer{buffer};
  const char raw[] = {1, 2, 3};
  packer.pack_bin(3);
  packer.pack_bin_body(raw, 3);
  payload p{std::vector<std::uint8_t>(buffer.data(), buffer.data() + buffer.size())};
  auto back = payload_to_json(p);
  ASSERT_TRUE(back) << describe(back.error());
  ASSERT_TRUE(back->is_binary());
  const std::vector<std::uint8_t>& bytes = back->get_binary();
  EXPECT_EQ(bytes, (std::vector<std::uint8_t>{1, 2, 3}));
}

// Found by tests/fuzz/fuzz_json_codec: 257 nested empty arrays passed the depth check (it looked
// at the depth of values, not of the containers that open), giving a payload unpack refuses.
TEST(JsonCodec, TextNestedDeeperThanAPayloadMayIsBadInput) {
  // `levels` arrays (or objects) around a scalar, or around nothing.
  auto arrays = [](std::size_t levels, bool empty) {
    return std::string(levels, '[') + (empty ? "" : "1") + std::string(levels, ']');
  };
  auto objects = [](std::size_t levels, bool empty) {
    std::string text;
    for (std::size_t i = 1; i < levels; ++i)
      text += "{\"k\":";
    return text + (empty ? "{}" : "{\"k\":1}") + std::string(levels - 1, '}');
  };
  for (bool empty : {true, false}) {
    for (auto* nest : {+arrays, +objects}) {
      auto at_limit = payload_from_json_text(nest(max_payload_depth, empty));
      ASSERT_TRUE(at_limit) << describe(at_limit.error());
      EXPECT_TRUE(payload_to_json(*at_limit));
      auto too_deep = payload_from_json_text(nest(max_payload_depth + 1, empty));
      ASSERT_FALSE(too_deep) << "empty: " << empty;
      expect_bad_input(too_deep.error(), "", "JSON nests deeper than 256 levels");
    }
  }
}

// Found by tests/fuzz/fuzz_msgpack_json: a key's JSON text holds the texts of the keys nested in
// it, escaped again at each level, so it doubled per level (21 levels: a 6 MB key from 44 bytes).
TEST(JsonCodec, KeysNestedInKeysRenderCutAfter1024Bytes) {
  std::string bytes("\x81\xa1\"\x01", 4); // {"\"": 1}
  for (int i = 0; i < 20; ++i)
    bytes = "\x81" + bytes + "\x01"; // {that: 1}
  auto back = payload_to_json(payload{std::vector<std::uint8_t>(bytes.begin(), bytes.end())});
  ASSERT_TRUE(back) << describe(back.error());
  ASSERT_EQ(back->size(), 1u);
  const auto& key = back->begin().key();
  EXPECT_LE(key.size(), 1024u + 3u);
  EXPECT_EQ(key.substr(key.size() - 3), "...");
  EXPECT_EQ(key.substr(0, 3), "{\"{");
}

TEST(JsonCodec, MalformedPayloadIsBadInputNamingThePlugin) {
  auto back = payload_to_json(payload{{0x92, 0x01}}, "cli");
  ASSERT_FALSE(back);
  expect_bad_input(back.error(), "cli", "malformed msgpack");
}

} // namespace
} // namespace troupe
