#include "messages/hooks.hpp"

#include <msgpack.hpp>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe {

namespace {

/// Builds one payload: a packer over its bytes.
struct builder {
  payload out;
  payload_writer writer{out.bytes};
  msgpack::packer<payload_writer> pk{writer};

  builder() { out.bytes.reserve(128); }
  payload take() { return std::move(out); }
};

using packer = msgpack::packer<payload_writer>;

void put_raw(payload_writer& buf, const payload& p) {
  if (p.bytes.empty())
    buf.write("\xc0", 1); // an empty payload travels as nil
  else
    buf.write(reinterpret_cast<const char*>(p.bytes.data()), p.bytes.size());
}

void put_context(payload_writer& buf, const hook_context& ctx) {
  packer out{buf};
  out.pack_map(ctx.error_code ? 4 : 3);
  out.pack("call_id");
  out.pack(ctx.call_id);
  out.pack("agent");
  out.pack(ctx.agent);
  out.pack("state");
  put_raw(buf, ctx.state);
  if (ctx.error_code) {
    out.pack("error");
    out.pack_map(2);
    out.pack("code");
    out.pack(*ctx.error_code);
    out.pack("message");
    out.pack(ctx.error_message);
  }
}

caf::error malformed(const std::string& plugin, const std::string& what) {
  return make_error(errc::bad_input, plugin, what);
}

caf::expected<std::string> text_of(const msgpack::object& o, const std::string& plugin,
                                   const char* what) {
  if (o.type != msgpack::type::STR)
    return malformed(plugin, std::string(what) + " must be a string");
  return std::string(o.via.str.ptr, o.via.str.size);
}

caf::expected<hook_context> context_from(const msgpack::object& o, const std::string& plugin) {
  if (o.type != msgpack::type::MAP)
    return malformed(plugin, "a hook's ctx must be a map");
  hook_context ctx;
  if (const auto* id = map_field(o, "call_id")) {
    if (id->type != msgpack::type::POSITIVE_INTEGER)
      return malformed(plugin, "ctx.call_id must be a positive integer");
    ctx.call_id = id->via.u64;
  }
  if (const auto* agent = map_field(o, "agent")) {
    auto text = text_of(*agent, plugin, "ctx.agent");
    if (!text)
      return std::move(text.error());
    ctx.agent = std::move(*text);
  }
  ctx.state = nil_payload();
  if (const auto* state = map_field(o, "state"))
    ctx.state = pack_object(*state);
  if (const auto* err = map_field(o, "error"); err && err->type == msgpack::type::MAP) {
    const auto* code = map_field(*err, "code");
    const auto* message = map_field(*err, "message");
    if (code && code->type == msgpack::type::STR)
      ctx.error_code = std::string(code->via.str.ptr, code->via.str.size);
    if (message && message->type == msgpack::type::STR)
      ctx.error_message = std::string(message->via.str.ptr, message->via.str.size);
  }
  return ctx;
}

caf::expected<hook_action> action_from(const msgpack::object& o, const std::string& plugin) {
  if (o.type == msgpack::type::NIL)
    return hook_action::keep;
  if (o.type == msgpack::type::STR) {
    std::string_view s(o.via.str.ptr, o.via.str.size);
    if (s == "continue")
      return hook_action::replace;
    if (s == "short_circuit")
      return hook_action::short_circuit;
    return malformed(plugin, "a hook returned the unknown action '" + std::string(s)
                               + "' (continue or short_circuit, or nothing)");
  }
  return malformed(plugin, "a hook's first return value must be \"continue\", "
                           "\"short_circuit\" or nothing");
}

/// An answer [action, value, third] decoded: its object tree and its action.
struct answer_triple {
  msgpack::object_handle handle;
  hook_action action;
  const msgpack::object* items; ///< The three elements (they live as long as `handle`).
};

/// Decodes an answer of the shape [action, value, third]; bad_input saying `shape` otherwise.
caf::expected<answer_triple> read_answer(const payload& in, const std::string& plugin,
                                         const char* shape) {
  auto handle = unpack(in, plugin);
  if (!handle)
    return std::move(handle.error());
  const auto& o = handle->get();
  if (o.type != msgpack::type::ARRAY || o.via.array.size != 3)
    return malformed(plugin, shape);
  auto action = action_from(o.via.array.ptr[0], plugin);
  if (!action)
    return std::move(action.error());
  const auto* items = o.via.array.ptr;
  return answer_triple{std::move(*handle), *action, items};
}

} // namespace

const char* to_string(hook_point p) {
  switch (p) {
    case hook_point::before_tool_call: return "before_tool_call";
    case hook_point::after_tool_call: return "after_tool_call";
    case hook_point::before_model_call: return "before_model_call";
    case hook_point::after_model_call: return "after_model_call";
  }
  return "?";
}

std::optional<hook_point> hook_point_named(std::string_view name) {
  for (auto p : all_hook_points)
    if (name == to_string(p))
      return p;
  return std::nullopt;
}

std::string hook_target(hook_point p) {
  return std::string(hook_target_prefix) + to_string(p);
}

payload encode_hook_call(const hook_call& call) {
  builder b;
  auto& buf = b.writer;
  auto& out = b.pk;
  switch (call.point) {
    case hook_point::before_tool_call:
      out.pack_array(3);
      out.pack(call.tool);
      put_raw(buf, call.args);
      break;
    case hook_point::after_tool_call:
      out.pack_array(4);
      out.pack(call.tool);
      put_raw(buf, call.args);
      put_raw(buf, call.value);
      break;
    case hook_point::before_model_call:
    case hook_point::after_model_call:
      out.pack_array(2);
      put_raw(buf, call.value);
      break;
  }
  put_context(buf, call.ctx);
  return b.take();
}

caf::expected<hook_call> decode_hook_call(hook_point point, const payload& in,
                                          const std::string& plugin) {
  auto handle = unpack(in, plugin);
  if (!handle)
    return std::move(handle.error());
  const auto& o = handle->get();
  std::uint32_t want = point == hook_point::before_tool_call  ? 3
                       : point == hook_point::after_tool_call ? 4
                                                              : 2;
  if (o.type != msgpack::type::ARRAY || o.via.array.size != want)
    return malformed(plugin, std::string(to_string(point)) + " takes an array of "
                               + std::to_string(want) + " arguments");
  const auto* a = o.via.array.ptr;
  hook_call call;
  call.point = point;
  std::uint32_t next = 0;
  if (point == hook_point::before_tool_call || point == hook_point::after_tool_call) {
    auto tool = text_of(a[0], plugin, "the tool name");
    if (!tool)
      return std::move(tool.error());
    call.tool = std::move(*tool);
    call.args = pack_object(a[1]);
    call.value = point == hook_point::before_tool_call ? call.args : pack_object(a[2]);
    next = point == hook_point::before_tool_call ? 2 : 3;
  } else {
    call.value = pack_object(a[0]);
    next = 1;
  }
  auto ctx = context_from(a[next], plugin);
  if (!ctx)
    return std::move(ctx.error());
  call.ctx = std::move(*ctx);
  return call;
}

payload encode_verdict(const hook_verdict& v, const payload& state) {
  builder b;
  auto& buf = b.writer;
  auto& out = b.pk;
  out.pack_array(3);
  switch (v.action) {
    case hook_action::keep: out.pack_nil(); break;
    case hook_action::replace: out.pack("continue"); break;
    case hook_action::short_circuit: out.pack("short_circuit"); break;
  }
  if (v.action == hook_action::keep)
    out.pack_nil();
  else
    put_raw(buf, v.value);
  put_raw(buf, state);
  return b.take();
}

caf::expected<hook_verdict> decode_verdict(const payload& in, payload& state,
                                           const std::string& plugin) {
  auto answer = read_answer(in, plugin, "a hook's answer must be [action, value, state]");
  if (!answer)
    return std::move(answer.error());
  hook_verdict v;
  v.action = answer->action;
  if (v.action != hook_action::keep)
    v.value = pack_object(answer->items[1]);
  state = pack_object(answer->items[2]);
  return v;
}

payload encode_hook_context(const hook_context& ctx) {
  builder b;
  put_context(b.writer, ctx);
  return b.take();
}

caf::expected<hook_context> decode_hook_context(const payload& in, const std::string& plugin) {
  auto handle = unpack(in, plugin);
  if (!handle)
    return std::move(handle.error());
  return context_from(handle->get(), plugin);
}

payload encode_pipeline_request(const payload& value, const hook_context& ctx) {
  builder b;
  auto& buf = b.writer;
  auto& out = b.pk;
  out.pack_array(2);
  put_raw(buf, value);
  put_context(buf, ctx);
  return b.take();
}

payload encode_pipeline_answer(const hook_verdict& v, const hook_context& ctx) {
  builder b;
  auto& buf = b.writer;
  auto& out = b.pk;
  out.pack_array(3);
  out.pack(v.action == hook_action::short_circuit ? "short_circuit" : "continue");
  put_raw(buf, v.value);
  put_context(buf, ctx);
  return b.take();
}

caf::expected<hook_verdict> decode_pipeline_answer(const payload& in, hook_context& ctx,
                                                   const std::string& plugin) {
  auto answer = read_answer(in, plugin, "the hook pipeline's answer must be [action, value, ctx]");
  if (!answer)
    return std::move(answer.error());
  auto decoded = context_from(answer->items[2], plugin);
  if (!decoded)
    return std::move(decoded.error());
  ctx = std::move(*decoded);
  hook_verdict v;
  v.action = answer->action;
  v.value = pack_object(answer->items[1]);
  return v;
}

} // namespace troupe
