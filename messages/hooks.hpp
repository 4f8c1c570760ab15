#pragma once
// Agent hooks (docs/hooks.md): functions of a plugin that run around every tool call and every
// model call, in ascending hook priority. This header has the types a plugin sees and the
// msgpack shapes that carry a hook's call and its answer between actors.
//
// Wire shapes (msgpack), as the pipeline sends them to a hook's plugin (the hook message):
//   before_tool_call: [tool, args, ctx]          after_tool_call: [tool, args, result, ctx]
//   before_model_call: [request, ctx]            after_model_call: [response, ctx]
//   ctx = {call_id: uint, agent: str, state: any, error?: {code: str, message: str}}
//   (error only in after hooks, when the call failed; result is then nil)
// and the hook's answer: [action, value, state] where action is nil (continue unchanged),
// "continue" (continue with value) or "short_circuit" (stop with value as the result).
//
// A plugin that runs model hooks around its own calls (the llm plugin) asks the pipeline with an
// outgoing call to hook_target(point) with input [value, ctx] and gets [action, value, ctx] back
// (ctx as the last hook left it; pass it to the after hook's call so that state carries over).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>

#include "messages/payload.hpp"

namespace troupe {

/// Where a hook runs.
enum class hook_point : std::uint8_t {
  before_tool_call,
  after_tool_call,
  before_model_call,
  after_model_call,
};

/// Every hook point, in the order above.
constexpr hook_point all_hook_points[] = {hook_point::before_tool_call, hook_point::after_tool_call,
                                          hook_point::before_model_call,
                                          hook_point::after_model_call};

/// The hook's function name ("before_tool_call", ...).
const char* to_string(hook_point p);

/// The hook point named `name`, or nullopt.
std::optional<hook_point> hook_point_named(std::string_view name);

/// True for the points that run before the call (they may short-circuit it).
inline bool runs_before(hook_point p) {
  return p == hook_point::before_tool_call || p == hook_point::before_model_call;
}

/// Hook priority when a plugin names none (lower runs first).
constexpr std::int32_t default_hook_priority = 100;

/// The outgoing-call target through which a plugin runs the pipeline's hooks of `point` around a
/// call of its own: "troupe.hooks/before_model_call", ...
std::string hook_target(hook_point p);

/// The prefix of hook_target's targets.
constexpr std::string_view hook_target_prefix = "troupe.hooks/";

/// The outgoing-call target that answers every tool of the node as a msgpack array of
/// {plugin, name, description, parameters} (an agent script's list for its model).
constexpr std::string_view tools_target = "troupe.tools";

/// The prefix of the outgoing-call target through which a plugin calls a tool (through the
/// pipeline): "troupe.tool/NAME".
constexpr std::string_view tool_target_prefix = "troupe.tool/";

/// What one call's hooks share: its id, the agent making it, a state any hook may change, and
/// (after hooks only) the call's failure.
struct hook_context {
  std::uint64_t call_id = 0;
  std::string agent;
  payload state;                          ///< Any msgpack value; nil until a hook sets it.
  std::optional<std::string> error_code;  ///< After hooks of a failed call: its code's name...
  std::string error_message;              ///< ...and its message.
};

/// What a hook decided.
enum class hook_action : std::uint8_t {
  keep,          ///< Continue with the value unchanged.
  replace,       ///< Continue with `value`.
  short_circuit, ///< Stop: `value` is the call's result (before hooks only).
};

/// A hook's answer.
struct hook_verdict {
  hook_action action = hook_action::keep;
  payload value;

  static hook_verdict keep() { return {}; }
  static hook_verdict replace(payload v) { return {hook_action::replace, std::move(v)}; }
  static hook_verdict short_circuit(payload v) { return {hook_action::short_circuit, std::move(v)}; }
};

/// One call of one hook, decoded.
struct hook_call {
  hook_point point = hook_point::before_tool_call;
  std::string tool;  ///< Tool points only.
  payload args;      ///< Tool points: the arguments; model points: unused.
  payload value;     ///< before_tool_call: = args; after_tool_call: the result (nil if failed);
                     ///< model points: the request or the response.
  hook_context ctx;
};

/// The hook message's argument array for `call` (shapes above).
payload encode_hook_call(const hook_call& call);

/// Decodes a hook message's arguments for `point`; bad_input naming `plugin` if malformed.
caf::expected<hook_call> decode_hook_call(hook_point point, const payload& in,
                                          const std::string& plugin);

/// A hook's answer as [action, value, state].
payload encode_verdict(const hook_verdict& v, const payload& state);

/// Decodes a hook's answer; the state goes to `state`. bad_input naming `plugin` if it is not
/// [action, value, state] with a known action.
caf::expected<hook_verdict> decode_verdict(const payload& in, payload& state,
                                           const std::string& plugin);

/// ctx as a msgpack map (the shape above).
payload encode_hook_context(const hook_context& ctx);

/// A ctx map back; bad_input naming `plugin` if malformed. Missing members keep their defaults.
caf::expected<hook_context> decode_hook_context(const payload& in, const std::string& plugin);

/// The pipeline endpoint's input [value, ctx] (hook_target).
payload encode_pipeline_request(const payload& value, const hook_context& ctx);

/// The pipeline endpoint's answer: ["continue" or "short_circuit", value, ctx].
payload encode_pipeline_answer(const hook_verdict& v, const hook_context& ctx);

/// The pipeline endpoint's answer [action, value, ctx] decoded: the verdict and the context.
caf::expected<hook_verdict> decode_pipeline_answer(const payload& in, hook_context& ctx,
                                                   const std::string& plugin);

} // namespace troupe
