#pragma once
// "llm": a client for OpenAI-compatible chat-completions servers (OpenAI, vLLM, Ollama,
// llama.cpp's server), with the agent hook pipeline's before_model_call and after_model_call
// around every call (docs/builtin-plugins.md, "llm").
//
// Settings: llm_settings.hpp (base_url required; model, api_key_env, ca_file, timeout_ms,
// retries, backoff_ms, max_backoff_ms, max_body_bytes, hook_timeout_ms).
// Request (execute, or the tool "chat"): a chat-completions request map {messages, model?,
// temperature?, tools?, ...}; an optional `agent` string names the agent for the hooks and is
// not sent. Answer: the server's chat-completions answer, as msgpack.
//
// A call runs in three steps, each on the plugin's host without blocking other calls' answers:
//   1. outgoing call to hook_target(before_model_call) with [request, ctx]: a "short_circuit"
//      answer is the result (the server is not asked), "continue" replaces the request;
//   2. the HTTP exchange (blocking, with retries; the host is detached: blocking_capability);
//   3. outgoing call to hook_target(after_model_call) with [response, ctx] (response nil and
//      ctx.error set when the exchange failed): "continue" (or "short_circuit") replaces the
//      result (also turning a failure into a value), nil keeps it.
// ctx comes back from step 1 and goes into step 3, so hooks' state carries over. An error from
// either hook step fails the call.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "plugins/api/plugin.hpp"
#include "plugins/builtin/llm/llm_client.hpp"
#include "plugins/builtin/llm/llm_request.hpp"

namespace troupe::builtin {

/// The llm plugin. One HTTP exchange at a time (its host calls one member at a time).
class llm_plugin final : public plugin {
public:
  /// `sleep` waits between retries (tests record instead); default: sleep_for.
  explicit llm_plugin(llm_client::sleeper sleep = {});

  /// Class "llm", type llm, capabilities "chat" and blocking_capability (a detached host).
  plugin_metadata metadata() const override;

  /// Reads the settings (config_error naming the plugin if one is bad).
  caf::error load(plugin_context& ctx) override;

  /// Drops the client and every suspended call; the counters stay.
  caf::error unload(plugin_context& ctx) override;

  /// The model call alone, without hooks: only for code that drives a plugin object directly
  /// (its host always goes through begin_call).
  caf::expected<payload> execute(plugin_context& ctx, const payload& input) override;

  /// The tool "chat": the same request and answer as execute.
  std::vector<tool_spec> tools() const override;

  /// execute and the tool "chat": starts a call with the before_model_call step. Functions and
  /// hooks: as plugin's.
  call_step begin_call(plugin_context& ctx, const invocation& inv) override;

  /// Takes the pipeline's answer to a call's hook step and goes on to its next step.
  call_step continue_call(plugin_context& ctx, std::uint64_t ticket,
                          caf::expected<payload> answer) override;

  /// Forgets a suspended call (its caller was answered already).
  void abandon_call(plugin_context& ctx, std::uint64_t ticket) override;

  /// The endpoint and model it uses; an error before load.
  caf::expected<std::string> health_check(plugin_context& ctx) override;

  /// requests, http_attempts, retries, failures, short_circuits, prompt_tokens,
  /// completion_tokens, total_tokens.
  std::map<std::string, std::int64_t> counters() const override;

private:
  /// A call waiting on one of its hook steps.
  struct pending {
    bool after = false;              ///< Waiting on after_model_call (else before_model_call).
    payload request;                 ///< The request (as the before step left it).
    hook_context hook;               ///< The hooks' context, as the last step left it.
    caf::expected<payload> result = payload{}; ///< The model call's outcome (after step).
  };

  call_step after_before_hook(plugin_context& ctx, std::uint64_t ticket, pending p,
                              const payload& answer);
  call_step after_after_hook(plugin_context& ctx, pending p, const payload& answer);
  caf::expected<payload> model_call(plugin_context& ctx, const payload& request);
  call_step finish(caf::expected<payload> out);

  llm_client::sleeper sleep_;
  llm_settings settings_;
  std::unique_ptr<llm_client> client_;
  std::map<std::uint64_t, pending> pending_;
  std::uint64_t next_ticket_ = 1;
  std::int64_t requests_ = 0;
  std::int64_t failures_ = 0;
  std::int64_t short_circuits_ = 0;
  llm_client_stats http_done_; ///< The counts of the clients of earlier loads.
  token_usage tokens_;          ///< Summed over every answer.
};

} // namespace troupe::builtin
