// Fuzzes the MCP message reader (mcp/mcp_message: read_messages), the parser every MCP transport
// runs on what a client sends. The input is the text of one message or batch.
//
// Checked:
//   - no crash, leak, undefined behaviour or escaping exception ("never throws");
//   - every element is answered once: one message or one refusal for an object, one per element
//     for a non-empty batch, one refusal for an empty batch or text that is no JSON;
//   - JSON nlohmann reads, nested at most max_message_depth deep, is never a parse error;
//   - every message has the shape its kind promises (a string method, object or null params,
//     a string or integer id where one is needed);
//   - answers rendered for them (result_text, error_text) are JSON that reads back.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mcp/mcp_message.hpp"

namespace {

using troupe::mcp::mcp_message;
using troupe::mcp::rpc_code;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_mcp_message: invariant failed: %s\n", what);
    std::abort();
  }
}

bool id_shape(const nlohmann::json& id) {
  return id.is_string() || id.is_number_integer() || id.is_number_unsigned();
}

/// The depth of arrays and objects in `j` (1 for an empty array); `limit` stops the walk early.
std::size_t depth_of(const nlohmann::json& j, std::size_t limit) {
  if (!j.is_structured() || limit == 0)
    return 0;
  std::size_t deepest = 0;
  for (const auto& item : j)
    deepest = std::max(deepest, depth_of(item, limit - 1));
  return 1 + deepest;
}

void check_message(const mcp_message& m) {
  require(m.params.is_object() || m.params.is_null(), "params that are not an object or null");
  switch (m.type) {
    case mcp_message::kind::request: require(id_shape(m.id), "a request without a valid id"); break;
    case mcp_message::kind::notification: require(m.id.is_null(), "a notification with an id"); break;
    case mcp_message::kind::response: require(id_shape(m.id), "a response without a valid id"); break;
  }
  if (m.type == mcp_message::kind::response)
    return;
  auto answer = troupe::mcp::result_text(m.id, m.params);
  require(!nlohmann::json::parse(answer, nullptr, false).is_discarded(),
          "result_text wrote text that is not JSON");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto got = troupe::mcp::read_messages(text);

  // nlohmann reads up to the first NUL byte (its end of input), the depth check all the text:
  // with a NUL in the text, the JSON before it may be refused for nesting after it.
  auto parsed = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  bool json = !parsed.is_discarded() && text.find('\0') == std::string_view::npos;
  bool shallow = json && depth_of(parsed, troupe::mcp::max_message_depth + 1)
                           <= troupe::mcp::max_message_depth;
  std::size_t answers = got.messages.size() + got.refusals.size();
  if (got.batch) {
    require(parsed.is_array() && !parsed.empty(), "a batch answer for no batch");
    require(answers == parsed.size(), "a batch element answered other than once");
  } else {
    require(!shallow || !parsed.is_array() || parsed.empty(), "a batch not read as one");
    require(answers == 1, "a message answered other than once");
  }
  for (const auto& refusal : got.refusals) {
    require(!shallow || refusal.code != rpc_code::parse_error, "valid JSON refused as unparsable");
    require(refusal.id.is_null() || id_shape(refusal.id), "a refusal with an invalid id");
    auto answer = troupe::mcp::error_text(refusal.id, refusal.code, refusal.message);
    require(!nlohmann::json::parse(answer, nullptr, false).is_discarded(),
            "error_text wrote text that is not JSON");
  }
  for (const auto& m : got.messages)
    check_message(m);
  return 0;
}
