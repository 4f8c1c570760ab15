// Strict UTF-8 validation (messages/utf8.hpp) and what the JSON codec does with bytes that are
// not UTF-8: rendered as bytes, never an exception, never an abort.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <msgpack.hpp>
#include <nlohmann/json.hpp>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/utf8.hpp"

namespace troupe {
namespace {

using json = nlohmann::json;
using namespace std::string_literals;

/// `text`'s bytes as JSON, for failure messages.
std::string show(const std::string& text) {
  return json::binary(std::vector<std::uint8_t>(text.begin(), text.end())).dump();
}

TEST(Utf8, WellFormedTextIsValid) {
  for (const std::string& text : {""s, "plain ascii"s, "caf\xc3\xa9"s, "\xe2\x82\xac 5"s,
                                  "\xf0\x9f\x98\x80"s, "\xed\x9f\xbf"s /* U+D7FF */,
                                  "\xee\x80\x80"s /* U+E000 */, "\xf4\x8f\xbf\xbf"s /* U+10FFFF */,
                                  "nul \0 inside"s})
    EXPECT_TRUE(is_valid_utf8(text)) << show(text);
}

TEST(Utf8, OverlongEncodingsAreInvalid) {
  for (const std::string& text : {"\xc0\xaf"s /* '/' in two bytes */, "\xc1\xbf"s,
                                  "\xe0\x80\xaf"s, "\xe0\x9f\xbf"s, "\xf0\x80\x80\xaf"s,
                                  "\xf0\x8f\xbf\xbf"s})
    EXPECT_FALSE(is_valid_utf8(text)) << show(text);
}

TEST(Utf8, Utf16SurrogatesAreInvalid) {
  for (const std::string& text : {"\xed\xa0\x80"s /* U+D800 */, "\xed\xbf\xbf"s /* U+DFFF */,
                                  "\xed\xa0\xbd\xed\xb8\x80"s /* a CESU-8 surrogate pair */})
    EXPECT_FALSE(is_valid_utf8(text)) << show(text);
}

TEST(Utf8, BeyondU10FFFFStrayAndTruncatedBytesAreInvalid) {
  for (const std::string& text : {"\xf4\x90\x80\x80"s, "\xf5\x80\x80\x80"s, "\xff"s, "\xfe"s,
                                  "\x80"s, "a\xbf"s, "\xc3"s, "\xe2\x82"s, "\xf0\x9f\x98"s,
                                  "\xc3(x"s})
    EXPECT_FALSE(is_valid_utf8(text)) << show(text);
}

TEST(Utf8, AnInvalidByteIsFoundAtEveryPositionAroundTheAsciiFastPath) {
  for (std::size_t at = 0; at < 24; ++at) {
    std::string text(24, 'a');
    text[at] = '\xff';
    EXPECT_FALSE(is_valid_utf8(text)) << "invalid byte at " << at;
    text[at] = 'b';
    EXPECT_TRUE(is_valid_utf8(text)) << "all ASCII, changed at " << at;
  }
}

/// A payload holding the msgpack str `bytes`, whatever they are.
payload str_payload(const std::string& bytes) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer{buffer};
  packer.pack_str(static_cast<std::uint32_t>(bytes.size()));
  packer.pack_str_body(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
  return payload{std::vector<std::uint8_t>(buffer.data(), buffer.data() + buffer.size())};
}

TEST(JsonCodec, StrThatIsNotUtf8RendersAsItsBytes) {
  auto back = payload_to_json(str_payload("\xc0\xaf\x00\xed\xa0\x80"s));
  ASSERT_TRUE(back) << describe(back.error());
  ASSERT_TRUE(back->is_binary());
  const std::vector<std::uint8_t>& bytes = back->get_binary();
  EXPECT_EQ(bytes, (std::vector<std::uint8_t>{0xc0, 0xaf, 0x00, 0xed, 0xa0, 0x80}));
  EXPECT_EQ(render_json(*back), R"({"bytes":[192,175,0,237,160,128],"subtype":null})");
}

TEST(JsonCodec, MapKeyThatIsNotUtf8BecomesTheJsonTextOfItsBytes) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer{buffer};
  packer.pack_map(1);
  packer.pack_str(2);
  packer.pack_str_body("\xff\xfe", 2);
  packer.pack_str(2);
  packer.pack_str_body("ok", 2);
  payload p{std::vector<std::uint8_t>(buffer.data(), buffer.data() + buffer.size())};
  auto back = payload_to_json(p);
  ASSERT_TRUE(back) << describe(back.error());
  EXPECT_EQ(render_json(*back), R"({"{\"bytes\":[255,254],\"subtype\":null}":"ok"})");
}

TEST(JsonCodec, RenderingAStringThatIsNotUtf8ReplacesItsBadBytesInsteadOfThrowing) {
  json message = {{"error", "boom \xff\xfe end"}};
  std::string text;
  ASSERT_NO_THROW(text = render_json(message));
  EXPECT_EQ(text, "{\"error\":\"boom \xef\xbf\xbd\xef\xbf\xbd end\"}");
  EXPECT_TRUE(is_valid_utf8(text));
  EXPECT_NO_THROW(render_json(message, 2));
}

} // namespace
} // namespace troupe
