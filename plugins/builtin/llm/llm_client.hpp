#pragma once
// One chat-completions exchange with an OpenAI-compatible server over cpp-httplib (HTTPS through
// OpenSSL, certificates verified), with retries: exponential backoff with jitter on 408, 409,
// 429, 5xx, timeouts and connection failures, a server's Retry-After (or retry-after-ms) honoured
// up to max_backoff. Blocks the calling thread for the whole exchange: the llm plugin's host runs
// detached (plugins/api/plugin.hpp, blocking_capability).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include <caf/expected.hpp>

#include "messages/payload.hpp"
#include "plugins/builtin/llm/llm_settings.hpp"

namespace troupe::builtin {

/// What the client counted since it was made.
struct llm_client_stats {
  std::int64_t attempts = 0; ///< HTTP requests sent (or tried).
  std::int64_t retries = 0;  ///< Of those, the ones after the first of an exchange.
  std::int64_t failures = 0; ///< Exchanges answered with an error.
};

/// The delay before retry number `retry` (1 for the first): backoff * 2^(retry-1), a random
/// point between half of it and all of it (`unit` in [0, 1] picks it), at most max_backoff; or
/// the server's `retry_after` when it gave one, also at most max_backoff.
std::chrono::milliseconds retry_delay(const llm_settings& s, int retry,
                                      std::optional<std::chrono::milliseconds> retry_after,
                                      double unit);

/// The delay a server asks for: "retry-after-ms" (milliseconds) or "Retry-After" (whole
/// seconds); nullopt for neither or an HTTP date.
std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& retry_after_ms,
                                                           const std::string& retry_after);

/// The server's own message in an error answer's body: OpenAI's {"error": {"message": M}},
/// Ollama's {"error": M}, {"message": M}, or else the body's first 300 bytes.
std::string server_message(const std::string& body);

/// Posts chat-completions requests for one plugin. Not thread-safe: one call at a time (its
/// plugin's host never makes two).
class llm_client {
public:
  /// Waits between attempts; tests pass one that records instead of sleeping.
  using sleeper = std::function<void(std::chrono::milliseconds)>;

  /// `plugin` names the plugin in every error. Default sleeper: std::this_thread::sleep_for.
  llm_client(llm_settings settings, std::string plugin, sleeper sleep = {});

  /// Posts `body` (JSON text) to the endpoint and answers the server's JSON answer as msgpack.
  /// Errors, each naming the plugin and the URL: bad_input (HTTP 400, 404, 413, 422) or
  /// plugin_failed (other 4xx, an answer that is not a JSON object) with the server's message;
  /// limit_exceeded (answer over max_body_bytes); timeout (the last attempt ran out of time);
  /// unavailable (retries used up, with the last status or connection error; an untrusted
  /// certificate, not retried).
  caf::expected<payload> post(const std::string& body);

  /// What it counted.
  const llm_client_stats& stats() const { return stats_; }

private:
  struct attempt_result;
  attempt_result attempt(const std::string& body);
  caf::expected<payload> accept(const attempt_result& r);
  caf::error give_up(const attempt_result& r, int attempts);

  llm_settings settings_;
  std::string plugin_;
  sleeper sleep_;
  std::minstd_rand rng_;
  llm_client_stats stats_;
};

} // namespace troupe::builtin
