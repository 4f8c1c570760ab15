#pragma once
// The value syntax of sandbox limits, shared by the plugin kinds that have them (Lua, WebAssembly):
// sizes and counts take a K, M or G suffix (KiB, MiB, GiB), times an "ms" or "s" suffix.

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/expected.hpp>

namespace troupe {

/// A non-negative integer with an optional K, M or G suffix (binary multiples). config_error
/// "limit NAME=VALUE: why" otherwise.
caf::expected<std::uint64_t> parse_limit_size(const std::string& name, const std::string& value);

/// A non-negative number of milliseconds, with an optional "ms" or "s" suffix. config_error
/// "limit NAME=VALUE: why" otherwise.
caf::expected<std::chrono::milliseconds> parse_limit_millis(const std::string& name,
                                                            const std::string& value);

} // namespace troupe
