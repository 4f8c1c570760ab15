// Fuzzes the msgpack-RPC frame reader (gateway/rpc_frames): the parser a gateway connection runs
// on every byte a client sends.
//
// Input: two control bytes, then the stream.
//   byte 0: bits 0-1 pick the limits (0: the defaults; 1: frames of 64 KiB; 2: small; 3: tiny),
//           bits 2-3 the longest chunk (1, 7, 64 or 4096 bytes);
//   byte 1: seeds the chunk lengths, so the split points come from the input.
// The stream is fed to one reader in chunks and to another in one piece. Checked:
//   - no crash, leak, undefined behaviour or escaping exception;
//   - both readers deliver the same frames and fail alike (any split reads the same);
//   - a failed reader answers an error to every later feed;
//   - every frame read is within the limits, and a request or notification written back with
//     encode_request / encode_notification reads back as the same frame.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <vector>

#include "gateway/rpc_frames.hpp"

namespace {

using troupe::gateway::rpc_frame;
using troupe::gateway::rpc_limits;
using troupe::gateway::rpc_reader;

/// Aborts with `what` when an invariant fails (libFuzzer reports the abort and saves the input).
void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_rpc_frames: invariant failed: %s\n", what);
    std::abort();
  }
}

rpc_limits limits_for(std::uint8_t control) {
  rpc_limits l;
  switch (control & 3) {
    case 1: l.max_frame = 64u << 10; break;
    case 2: l.max_frame = 256; l.max_params = 4; l.max_depth = 8; break;
    case 3: l.max_frame = 24; l.max_params = 1; l.max_depth = 2; break;
    default: break;
  }
  return l;
}

bool same(const rpc_frame& a, const rpc_frame& b) {
  return a.type == b.type && a.msgid == b.msgid && a.method == b.method && a.params == b.params
         && a.error == b.error && a.result == b.result;
}

/// What a reader made of the whole stream: its frames, and whether it failed.
struct outcome {
  std::vector<rpc_frame> frames;
  bool failed = false;
};

/// Feeds `data` in chunks of 1..max_chunk bytes, their lengths drawn from `seed`.
outcome read_in_chunks(const rpc_limits& limits, const char* data, std::size_t size,
                       std::size_t max_chunk, std::uint32_t seed) {
  rpc_reader reader{limits};
  outcome out;
  std::uint32_t rng = seed * 2654435761u + 1;
  for (std::size_t at = 0; at < size;) {
    rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5; // xorshift32
    std::size_t n = std::min<std::size_t>(1 + rng % max_chunk, size - at);
    auto got = reader.feed(data + at, n);
    at += n;
    if (!got) {
      out.failed = true;
      require(!reader.feed(data, size), "a failed reader accepted more bytes");
      return out;
    }
    out.frames.insert(out.frames.end(), got->begin(), got->end());
  }
  return out;
}

outcome read_whole(const rpc_limits& limits, const char* data, std::size_t size) {
  rpc_reader reader{limits};
  outcome out;
  auto got = reader.feed(data, size);
  if (!got) {
    out.failed = true;
    require(!reader.feed(nullptr, 0), "a failed reader answered frames again");
    return out;
  }
  out.frames = std::move(*got);
  return out;
}

/// A request or notification written back reads back as the same frame (on `reader`, one
/// reader for all the frames of an input: a reader costs a 64 KiB buffer).
void check_round_trip(rpc_reader& reader, const rpc_frame& f) {
  if (f.type == rpc_frame::kind::response)
    return;
  auto bytes = f.type == rpc_frame::kind::request
                 ? troupe::gateway::encode_request(f.msgid, f.method, f.params)
                 : troupe::gateway::encode_notification(f.method, f.params);
  auto got = reader.feed(reinterpret_cast<const char*>(bytes.bytes.data()), bytes.bytes.size());
  require(got && got->size() == 1 && same((*got)[0], f), "a frame written back reads differently");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2)
    return 0;
  auto limits = limits_for(data[0]);
  static constexpr std::size_t chunk_limits[] = {1, 7, 64, 4096};
  std::size_t max_chunk = chunk_limits[(data[0] >> 2) & 3];
  const auto* stream = reinterpret_cast<const char*>(data + 2);
  std::size_t n = size - 2;

  auto chunked = read_in_chunks(limits, stream, n, max_chunk, data[1]);
  auto whole = read_whole(limits, stream, n);
  require(chunked.failed == whole.failed, "one split of the stream failed, another did not");
  if (whole.failed)
    return 0; // a failed feed answers no frames: the two cannot be compared further
  require(chunked.frames.size() == whole.frames.size(), "splits read different frame counts");
  rpc_reader again;
  for (std::size_t i = 0; i < whole.frames.size(); ++i) {
    const auto& f = whole.frames[i];
    require(same(f, chunked.frames[i]), "splits read different frames");
    require(f.params.size() <= limits.max_params, "a frame has more params than the limit");
    check_round_trip(again, f);
  }
  return 0;
}
