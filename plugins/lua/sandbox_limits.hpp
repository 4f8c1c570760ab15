#pragma once
// The limits of one Lua plugin's sandbox, with their defaults and their names in config files and
// on the command line (`--limit NAME=VALUE`). Documented in docs/lua-plugins.md.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace troupe::lua {

/// Per-plugin limits. A 0 disables a limit (not recommended for untrusted scripts).
struct sandbox_limits {
  /// wall_time_ms: wall-clock time one call may run Lua code. Default: 1000 ms.
  std::chrono::milliseconds wall_time{1000};
  /// instructions: Lua VM instructions (plus metered work inside library functions) per call.
  /// Default: 100,000,000.
  std::uint64_t instructions = 100'000'000;
  /// memory: bytes the plugin's Lua state may hold in all. Default: 32 MiB.
  std::size_t memory = std::size_t{32} << 20;
  /// call_depth: nested Lua calls on one stack. Default: 200.
  std::uint32_t call_depth = 200;
  /// string_size: bytes of the longest string a script may build. Default: 4 MiB.
  std::size_t string_size = std::size_t{4} << 20;
  /// call_timeout_ms: how long call_plugin waits for another plugin. Default: 5000 ms.
  std::chrono::milliseconds call_timeout{5000};
};

/// Sets the limit `name` (one of the names above) from `value`: a non-negative integer; sizes
/// take a K, M or G suffix (KiB, MiB, GiB), times an "ms" or "s" suffix. config_error naming the
/// limit and listing the valid names on failure.
caf::error set_limit(sandbox_limits& limits, const std::string& name, const std::string& value);

/// `base` (default: the defaults) overridden by every setting named "limit.<name>" in `settings`.
caf::expected<sandbox_limits> limits_from_settings(const std::map<std::string, std::string>& settings,
                                                   sandbox_limits base = {});

/// The limits as "name=value" pairs, for logs and docs.
std::map<std::string, std::string> describe_limits(const sandbox_limits& limits);

} // namespace troupe::lua
