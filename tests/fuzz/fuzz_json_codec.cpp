// Fuzzes JSON text -> msgpack payload (messages/json_codec: payload_from_json_text) and the way
// back (payload_to_json, render_json). The input is JSON text, as the CLI or a client sends it.
//
// Checked:
//   - no crash, leak, undefined behaviour or escaping exception (nlohmann's exceptions must
//     come back as bad_input values);
//   - a payload made from text is valid msgpack that payload_to_json decodes;
//   - round trip: the JSON decoded from the payload renders exactly as the text parsed directly
//     by nlohmann renders (numbers keep their type and value, strings their bytes).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_json_codec: invariant failed: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto encoded = troupe::payload_from_json_text(text);
  if (!encoded) {
    require(troupe::code_name(encoded.error()) == "bad_input", "an error other than bad_input");
    return 0;
  }
  auto decoded = troupe::payload_to_json(*encoded);
  require(static_cast<bool>(decoded), "a payload made from JSON does not decode");
  auto rendered = troupe::render_json(*decoded);
  // The text parsed: it nests at most max_payload_depth deep, so a plain parse takes it too.
  auto direct = nlohmann::json::parse(text, nullptr, false);
  require(!direct.is_discarded(), "nlohmann refuses text payload_from_json_text took");
  require(rendered == troupe::render_json(direct), "JSON changed in the round trip");
  return 0;
}
