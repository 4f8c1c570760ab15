// The msgpack-RPC frame reader and writer: frames of every type read back across any split of
// the stream, and malformed or oversized input answered with an error that ends the stream.

#include <string>
#include <vector>

#include <malloc.h>

#include <gtest/gtest.h>

#include "gateway/rpc_frames.hpp"
#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::gateway {
namespace {

std::string text(const payload& p) {
  return std::string(p.bytes.begin(), p.bytes.end());
}

TEST(RpcFrames, ARequestAResponseAndANotificationReadBackWhateverTheSplit) {
  auto stream = text(encode_request(7, "execute", {pack(std::string("echo")), pack(42)}))
                + text(encode_result(7, pack(std::string("ok"))))
                + text(encode_notification("event", {pack(1)}));
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, stream.size()}) {
    rpc_reader reader;
    std::vector<rpc_frame> frames;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      auto got = reader.feed(stream.data() + at, std::min(chunk, stream.size() - at));
      ASSERT_TRUE(got) << describe(got.error());
      frames.insert(frames.end(), got->begin(), got->end());
    }
    ASSERT_EQ(frames.size(), 3u) << "chunk " << chunk;
    EXPECT_EQ(frames[0].type, rpc_frame::kind::request);
    EXPECT_EQ(frames[0].msgid, 7u);
    EXPECT_EQ(frames[0].method, "execute");
    ASSERT_EQ(frames[0].params.size(), 2u);
    EXPECT_EQ(*unpack_as<std::string>(frames[0].params[0]), "echo");
    EXPECT_EQ(*unpack_as<int>(frames[0].params[1]), 42);
    EXPECT_EQ(frames[1].type, rpc_frame::kind::response);
    EXPECT_EQ(*unpack_as<std::string>(frames[1].result), "ok");
    EXPECT_EQ(frames[1].error, nil_payload());
    EXPECT_EQ(frames[2].type, rpc_frame::kind::notification);
    EXPECT_EQ(frames[2].method, "event");
    EXPECT_EQ(reader.buffered(), 0u);
  }
}

TEST(RpcFrames, AnErrorResponseCarriesCodeMessageAndPlugin) {
  rpc_reader reader;
  auto bytes = text(encode_error(9, "not_found", "no such plugin", "ghost"));
  auto got = reader.feed(bytes.data(), bytes.size());
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  auto err = unpack((*got)[0].error);
  ASSERT_TRUE(err);
  const auto& map = err->get();
  ASSERT_NE(map_field(map, "code"), nullptr);
  EXPECT_EQ(map_field(map, "code")->as<std::string>(), "not_found");
  EXPECT_EQ(map_field(map, "plugin")->as<std::string>(), "ghost");
}

TEST(RpcFrames, MalformedFramesEndTheStreamWithAReason) {
  struct bad_case {
    payload bytes;
    const char* says;
  };
  std::vector<bad_case> cases{
    {pack(std::string("not an array")), "array of 3 or 4"},
    {pack(std::vector<int>{3, 1, 2, 4}), "type must be 0"},
    {pack(std::vector<int>{0, 1, 2}), "has 4 elements"},
    {pack(std::vector<int>{0, 1, 2, 3}), "method name must be a string"},
    {pack(std::vector<int>{0, -1, 2, 3}), "msgid"},
  };
  for (const auto& c : cases) {
    rpc_reader reader;
    auto bytes = text(c.bytes);
    auto got = reader.feed(bytes.data(), bytes.size());
    ASSERT_FALSE(got) << c.says;
    EXPECT_EQ(code_name(got.error()), "bad_input");
    EXPECT_NE(describe(got.error()).find(c.says), std::string::npos) << describe(got.error());
    auto again = reader.feed("", 0); // the stream cannot go on
    EXPECT_FALSE(again);
  }
  rpc_reader reader;
  const char garbage[] = {'\xc1', '\x00'}; // 0xc1 is never used in msgpack
  EXPECT_FALSE(reader.feed(garbage, sizeof garbage));
}

TEST(RpcFrames, LimitsOnFrameSizeParamsAndDepthAreEnforced) {
  rpc_limits small;
  small.max_frame = 64;
  small.max_params = 2;
  small.max_depth = 4;
  {
    rpc_reader reader{small};
    auto big = text(encode_request(1, "execute", {pack(std::string(100, 'x'))}));
    auto got = reader.feed(big.data(), big.size());
    ASSERT_FALSE(got);
    EXPECT_NE(describe(got.error()).find("larger than"), std::string::npos) << describe(got.error());
  }
  {
    rpc_reader reader{small};
    auto many = text(encode_request(1, "execute", {pack(1), pack(2), pack(3)}));
    EXPECT_FALSE(reader.feed(many.data(), many.size()));
  }
  {
    rpc_reader reader{small};
    const char deep[] = "\x94\x00\x01\xa1m\x91\x91\x91\x91\x91\x91\x01"; // 7 levels
    auto got = reader.feed(deep, sizeof deep - 1);
    ASSERT_FALSE(got);
    EXPECT_NE(describe(got.error()).find("nested deeper"), std::string::npos) << describe(got.error());
  }
  {
    rpc_reader reader{small}; // a frame that never ends may not wait past the frame limit
    const char head[] = "\x94\x00\x01\xa1m\x91\xda\x10\x00"; // a 4096-byte str begins
    std::string start(head, sizeof head - 1);
    start += std::string(60, 'y');
    auto got = reader.feed(start.data(), start.size());
    EXPECT_FALSE(got);
  }
}

// Found by tests/fuzz/fuzz_rpc_frames: a frame over max_frame was refused when it arrived in
// pieces but taken when it arrived in one read.
TEST(RpcFrames, AFrameOverTheLimitIsRefusedWhetherItArrivesWholeOrInPieces) {
  rpc_limits small;
  small.max_frame = 24;
  auto frame = text(encode_request(1, "m", {pack(std::string(20, 'x'))})); // 27 bytes
  ASSERT_GT(frame.size(), small.max_frame);
  for (std::size_t chunk : {std::size_t{1}, frame.size()}) {
    rpc_reader reader{small};
    bool failed = false;
    for (std::size_t at = 0; at < frame.size() && !failed; at += chunk) {
      auto got = reader.feed(frame.data() + at, std::min(chunk, frame.size() - at));
      failed = !got;
      if (failed) {
        EXPECT_NE(describe(got.error()).find("a frame of more than 24 bytes"), std::string::npos)
          << describe(got.error());
      }
    }
    EXPECT_TRUE(failed) << "chunk " << chunk;
  }
  rpc_reader reader{small}; // a frame of exactly the limit is still taken
  auto fits = text(encode_request(1, "m", {pack(std::string(17, 'x'))}));
  ASSERT_EQ(fits.size(), small.max_frame);
  auto got = reader.feed(fits.data(), fits.size());
  ASSERT_TRUE(got) << describe(got.error());
  EXPECT_EQ(got->size(), 1u);
}

// Found by tests/fuzz/fuzz_rpc_frames: msgpack-c's unpacker reserved room for every element a
// header announces as soon as it read the header, so 5 bytes announcing 16 million map pairs
// reserved 1 GiB, and a frame of nested such headers far more, before any element arrived.
TEST(RpcFrames, AHeaderAnnouncingMillionsOfElementsReservesNothingBeforeTheyArrive) {
  rpc_reader reader; // the default limits: frames of 16 MiB, so 16 million elements may come
  std::string stream("\x94\x00\x01\xa1m\x91", 6); // [0, 1, "m", [ then 64 maps of 16M pairs
  for (int i = 0; i < 64; ++i)
    stream += std::string("\xdf\x00\xff\xff\xff", 5);
  auto before = static_cast<long long>(mallinfo2().hblkhd); // bytes in mmapped blocks now
  auto got = reader.feed(stream.data(), stream.size());
  ASSERT_TRUE(got) << describe(got.error());
  EXPECT_TRUE(got->empty());
  EXPECT_LT(static_cast<long long>(mallinfo2().hblkhd) - before, 64ll << 20);
  EXPECT_EQ(reader.buffered(), stream.size());
}

} // namespace
} // namespace troupe::gateway
