// Fuzzes msgpack payload -> JSON (messages/json_codec: payload_to_json, render_json), what every
// door does with a plugin's result before a client sees it. The input is one payload.
//
// Checked:
//   - no crash, leak, undefined behaviour or escaping exception ("never throws", even for
//     strings and keys that are not UTF-8, extension types, non-string keys);
//   - payload_to_json succeeds exactly when msgpack-c's unpack does;
//   - render_json, compact and indented, always writes JSON that nlohmann reads back.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_msgpack_json: invariant failed: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  troupe::payload in{std::vector<std::uint8_t>(data, data + size)};
  auto json = troupe::payload_to_json(in, "fuzz");
  require(static_cast<bool>(json) == static_cast<bool>(troupe::unpack(in)),
          "payload_to_json and unpack disagree on what is msgpack");
  if (!json)
    return 0;
  for (int indent : {-1, 2}) {
    auto text = troupe::render_json(*json, indent);
    require(!nlohmann::json::parse(text, nullptr, false).is_discarded(),
            "render_json wrote text that is not JSON");
  }
  return 0;
}
