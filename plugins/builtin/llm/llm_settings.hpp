#pragma once
// The llm plugin's settings (docs/builtin-plugins.md, "llm"), read and checked once at load.
// Every setting is text in the plugin's config; a bad one fails load with config_error naming the
// plugin. The API key itself is never in the config: api_key_env names the environment variable
// that holds it, and no error or log line ever carries its value.

#include <chrono>
#include <cstddef>
#include <string>

#include <caf/expected.hpp>

#include "plugins/api/plugin_context.hpp"

namespace troupe::builtin {

/// An OpenAI-compatible server's address split for cpp-httplib.
struct llm_endpoint {
  std::string origin;      ///< "https://api.openai.com" or "http://127.0.0.1:11434" (with port).
  std::string path;        ///< The chat-completions path: base_url's path + "/chat/completions".
  std::string display_url; ///< origin + path, for error messages (base_url may hold no secret).
  bool tls = false;        ///< https.
};

/// What the llm plugin is configured with.
struct llm_settings {
  /// base_url: where the OpenAI-compatible API lives, http or https, no user info, query or
  /// fragment ("https://api.openai.com/v1", "http://127.0.0.1:11434/v1"). Required.
  llm_endpoint endpoint;
  /// model: the model of requests that name none. Default: "" (every request must name one).
  std::string model;
  /// api_key_env: the environment variable holding the key sent as "Authorization: Bearer".
  /// Default: "" (no Authorization header; local servers). Set but unset or empty at load:
  /// config_error.
  std::string api_key_env;
  std::string api_key; ///< The variable's value at load. Never printed.
  /// ca_file: a PEM bundle of the certificate authorities to trust for https. Default: ""
  /// (the system's bundle). Certificates and host names are always verified.
  std::string ca_file;
  /// timeout_ms: one attempt's limit for connecting, sending and receiving the answer.
  /// Default: 60000; 1..3600000.
  std::chrono::milliseconds timeout{60000};
  /// retries: attempts after the first on 408, 409, 429, 5xx, timeouts and connection failures.
  /// Default: 2; 0..10.
  int retries = 2;
  /// backoff_ms: the delay before the first retry; doubled before each next one, with jitter
  /// (a random delay between half of it and all of it). Default: 500; 0..600000.
  std::chrono::milliseconds backoff{500};
  /// max_backoff_ms: the longest delay before a retry, also the cap of a server's Retry-After.
  /// Default: 30000; 0..600000.
  std::chrono::milliseconds max_backoff{30000};
  /// max_body_bytes: the largest answer accepted (limit_exceeded beyond). Default: 8388608
  /// (8 MiB); 1024..1073741824.
  std::size_t max_body_bytes = 8u << 20;
  /// hook_timeout_ms: how long a model hook (before_model_call, after_model_call) may take.
  /// Default: 5000; 1..600000.
  std::chrono::milliseconds hook_timeout{5000};
};

/// Splits a base_url; config_error naming `plugin` if it is not http(s)://host[:port][/path]
/// (the error never repeats user info, which could be a password).
caf::expected<llm_endpoint> parse_base_url(const std::string& base_url, const std::string& plugin);

/// The settings of `ctx`'s config with their defaults; config_error naming the plugin and the
/// setting if one is malformed, out of range, or api_key_env names an unset variable.
caf::expected<llm_settings> read_llm_settings(const plugin_context& ctx);

} // namespace troupe::builtin
