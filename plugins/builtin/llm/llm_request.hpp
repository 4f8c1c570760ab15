#pragma once
// The llm plugin's request and response shapes: a chat-completions request as msgpack in, the
// JSON body sent to the server, and the token usage of an answer.

#include <cstdint>
#include <string>

#include <caf/expected.hpp>

#include "messages/payload.hpp"

namespace troupe::builtin {

/// A request with its top-level `agent` member taken out.
struct agent_request {
  payload request;   ///< The request without `agent`.
  std::string agent; ///< The agent it names for the hooks; "" if none.
};

/// Takes `agent` (a string, if present) out of a request map; bad_input naming `plugin` if `in`
/// is not a map or `agent` is not a string.
caf::expected<agent_request> take_agent(const payload& in, const std::string& plugin);

/// The JSON text to POST for `request`: the map as JSON without `agent`, with `model` set to
/// `default_model` when the request names none. bad_input naming `plugin` if it is not a map,
/// `messages` is not a non-empty array, no model is named at all, or it asks for `stream`.
caf::expected<std::string> request_body(const payload& request, const std::string& default_model,
                                        const std::string& plugin);

/// The token counts of an answer's `usage` member (0 for any that is missing).
struct token_usage {
  std::int64_t prompt = 0;
  std::int64_t completion = 0;
  std::int64_t total = 0;
};

/// Reads `usage` from a chat-completions answer; all zero if it has none or is not a map.
token_usage usage_of(const payload& response);

} // namespace troupe::builtin
