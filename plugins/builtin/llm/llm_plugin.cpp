#include "plugins/builtin/llm/llm_plugin.hpp"

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::builtin {

namespace {

/// The chat tool's arguments: a chat-completions request.
constexpr const char* chat_schema = R"({
  "type": "object",
  "properties": {
    "messages": {"type": "array", "minItems": 1, "items": {
      "type": "object", "properties": {"role": {"type": "string"}}, "required": ["role"]}},
    "model": {"type": "string"},
    "temperature": {"type": "number", "minimum": 0, "maximum": 2},
    "max_tokens": {"type": "integer", "minimum": 1},
    "tools": {"type": "array"},
    "agent": {"type": "string", "description": "the agent making the call, for the hooks"}
  },
  "required": ["messages"]
})";

/// A hook step's failure, keeping a Troupe error's code (a guard hook's verdict).
caf::error hook_failed(hook_point p, const caf::error& err, const std::string& plugin) {
  auto code = is_troupe_error(err) ? static_cast<errc>(err.code()) : errc::unavailable;
  return make_error(code, plugin, std::string(to_string(p)) + " hooks failed: " + describe(err));
}

} // namespace

llm_plugin::llm_plugin(llm_client::sleeper sleep) : sleep_(std::move(sleep)) {
}

plugin_metadata llm_plugin::metadata() const {
  plugin_metadata m;
  m.id = "llm";
  m.name = "LLM client";
  m.version = "1.0.0";
  m.description = "Chat completions from an OpenAI-compatible server, with model hooks";
  m.type = {plugin_kind::llm, {}};
  m.capabilities = {"chat", blocking_capability};
  return m;
}

caf::error llm_plugin::load(plugin_context& ctx) {
  auto s = read_llm_settings(ctx);
  if (!s)
    return std::move(s.error());
  settings_ = *s;
  client_ = std::make_unique<llm_client>(std::move(*s), ctx.plugin_id(), sleep_);
  return {};
}

caf::error llm_plugin::unload(plugin_context&) {
  if (client_) {
    const auto& st = client_->stats();
    http_done_.attempts += st.attempts;
    http_done_.retries += st.retries;
    http_done_.failures += st.failures;
  }
  client_.reset();
  pending_.clear();
  return {};
}

caf::expected<payload> llm_plugin::execute(plugin_context& ctx, const payload& input) {
  ++requests_;
  auto req = take_agent(input, ctx.plugin_id());
  auto out = req ? model_call(ctx, req->request) : caf::expected<payload>{req.error()};
  if (!out)
    ++failures_;
  return out;
}

std::vector<tool_spec> llm_plugin::tools() const {
  return {{"chat", "Ask the configured language model: a chat-completions request "
                   "(messages, model, temperature, ...); answers the chat-completions response",
           chat_schema}};
}

call_step llm_plugin::begin_call(plugin_context& ctx, const invocation& inv) {
  bool chat = inv.what == invocation::kind::execute
              || (inv.what == invocation::kind::tool && inv.name == "chat");
  if (!chat)
    return plugin::begin_call(ctx, inv);
  ++requests_;
  auto req = take_agent(inv.input, ctx.plugin_id());
  if (!req)
    return finish(std::move(req.error()));
  auto ticket = next_ticket_++;
  pending p;
  p.request = std::move(req->request);
  p.hook.call_id = 0; // the pipeline numbers the call (runtime-wide) and answers the ctx
  p.hook.agent = std::move(req->agent);
  outgoing_call call{hook_target(hook_point::before_model_call),
                     encode_pipeline_request(p.request, p.hook), settings_.hook_timeout};
  pending_.emplace(ticket, std::move(p));
  return call_step::waiting(ticket, std::move(call));
}

call_step llm_plugin::continue_call(plugin_context& ctx, std::uint64_t ticket,
                                    caf::expected<payload> answer) {
  auto i = pending_.find(ticket);
  if (i == pending_.end())
    return call_step::done(make_error(errc::plugin_failed, ctx.plugin_id(),
                                      "no suspended call " + std::to_string(ticket)));
  auto p = std::move(i->second);
  pending_.erase(i);
  auto point = p.after ? hook_point::after_model_call : hook_point::before_model_call;
  if (!answer)
    return finish(hook_failed(point, answer.error(), ctx.plugin_id()));
  if (!p.after)
    return after_before_hook(ctx, ticket, std::move(p), *answer);
  return after_after_hook(ctx, std::move(p), *answer);
}

call_step llm_plugin::after_before_hook(plugin_context& ctx, std::uint64_t ticket, pending p,
                                        const payload& answer) {
  auto verdict = decode_pipeline_answer(answer, p.hook, ctx.plugin_id());
  if (!verdict)
    return finish(hook_failed(hook_point::before_model_call, verdict.error(), ctx.plugin_id()));
  if (verdict->action == hook_action::short_circuit) {
    ++short_circuits_;
    return finish(std::move(verdict->value));
  }
  if (verdict->action == hook_action::replace)
    p.request = std::move(verdict->value);
  p.result = model_call(ctx, p.request);
  p.after = true;
  p.hook.error_code.reset();
  p.hook.error_message.clear();
  if (!p.result) {
    p.hook.error_code = code_name(p.result.error());
    p.hook.error_message = detail_of(p.result.error());
  }
  auto value = p.result ? *p.result : nil_payload();
  outgoing_call call{hook_target(hook_point::after_model_call),
                     encode_pipeline_request(value, p.hook), settings_.hook_timeout};
  pending_.emplace(ticket, std::move(p));
  return call_step::waiting(ticket, std::move(call));
}

call_step llm_plugin::after_after_hook(plugin_context& ctx, pending p, const payload& answer) {
  auto verdict = decode_pipeline_answer(answer, p.hook, ctx.plugin_id());
  if (!verdict)
    return finish(hook_failed(hook_point::after_model_call, verdict.error(), ctx.plugin_id()));
  if (verdict->action == hook_action::keep)
    return finish(std::move(p.result));
  return finish(std::move(verdict->value)); // continue, or short_circuit: the value is the result
}

caf::expected<payload> llm_plugin::model_call(plugin_context& ctx, const payload& request) {
  if (!client_)
    return make_error(errc::invalid_state, ctx.plugin_id(), "not loaded");
  auto body = request_body(request, settings_.model, ctx.plugin_id());
  if (!body)
    return std::move(body.error());
  auto out = client_->post(*body);
  if (out) {
    auto u = usage_of(*out);
    tokens_.prompt += u.prompt;
    tokens_.completion += u.completion;
    tokens_.total += u.total;
  }
  return out;
}

call_step llm_plugin::finish(caf::expected<payload> out) {
  if (!out)
    ++failures_;
  return call_step::done(std::move(out));
}

void llm_plugin::abandon_call(plugin_context&, std::uint64_t ticket) {
  pending_.erase(ticket);
}

caf::expected<std::string> llm_plugin::health_check(plugin_context& ctx) {
  if (!client_)
    return make_error(errc::invalid_state, ctx.plugin_id(), "not loaded");
  return "model '" + (settings_.model.empty() ? std::string("(per request)") : settings_.model)
         + "' at " + settings_.endpoint.display_url;
}

std::map<std::string, std::int64_t> llm_plugin::counters() const {
  auto http = http_done_;
  if (client_) {
    http.attempts += client_->stats().attempts;
    http.retries += client_->stats().retries;
    http.failures += client_->stats().failures;
  }
  return {{"requests", requests_},           {"http_attempts", http.attempts},
          {"retries", http.retries},         {"failures", failures_},
          {"short_circuits", short_circuits_}, {"prompt_tokens", tokens_.prompt},
          {"completion_tokens", tokens_.completion}, {"total_tokens", tokens_.total}};
}

} // namespace troupe::builtin
