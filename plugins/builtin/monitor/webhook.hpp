#pragma once
// The monitor's webhook: one HTTP POST of a JSON body (cpp-httplib), with a deadline.

#include <chrono>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace troupe::builtin {

/// Where a webhook goes: "http://host[:port]/path" split into its parts.
struct webhook_target {
  std::string origin; ///< "http://host:port" (the port is 80 if the URL has none).
  std::string path;   ///< "/path" ("/" if the URL has none).
};

/// Splits `url`; config_error naming `plugin_id` unless it is an http:// URL with a host
/// (https is not built in: put a local relay in front of an https endpoint).
caf::expected<webhook_target> parse_webhook_url(const std::string& url,
                                                const std::string& plugin_id);

/// POSTs `json_body` (Content-Type application/json) to `target`, waiting at most `timeout`
/// to connect and as long again for each read and write. Success is a 2xx answer; anything
/// else (no connection, a timeout, another status) is a plugin_failed error naming
/// `plugin_id` and what happened. Never throws. Blocks the calling thread.
caf::error post_webhook(const webhook_target& target, const std::string& json_body,
                        std::chrono::milliseconds timeout, const std::string& plugin_id);

} // namespace troupe::builtin
