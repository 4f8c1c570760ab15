#pragma once
// Reads the [gateway] and [http] tables of a node config (docs/gateway.md).

#include <string>

#include <caf/error.hpp>
#include <toml++/toml.h>

#include "gateway/gateway_config.hpp"

namespace troupe {

/// Reads `t` into `out`: listen ("host:port", port 0 = any free port), token, max_frame_bytes,
/// max_in_flight, idle_timeout_ms, call_timeout_ms. Errors are config_errors naming the file,
/// line and key.
caf::error read_gateway_table(const std::string& origin, const toml::table& t,
                              gateway_config& out);

/// Reads `t` into `out`: listen, token, metrics_need_token, allowed_origins, call_timeout_ms,
/// max_body_bytes. Errors as read_gateway_table.
caf::error read_http_table(const std::string& origin, const toml::table& t, http_config& out);

} // namespace troupe
