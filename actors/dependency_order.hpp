#pragma once
// Orders plugins so that every plugin comes after the plugins it depends on.

#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "messages/plugin_types.hpp"

namespace troupe {

/// The ids of `plugins` in dependency order (Kahn's algorithm). Among plugins with no order
/// between them, higher priority comes first, then the smaller id, so the order is deterministic.
/// Errors: missing_dependency naming the plugin and what it lacks; dependency_cycle naming every
/// plugin of one cycle ("a -> b -> a"). A plugin that names itself is a cycle.
caf::expected<std::vector<std::string>> dependency_order(const std::vector<plugin_metadata>& plugins);

/// dependency_order cut into waves that may be stepped concurrently: consecutive plugins of that
/// order join one wave while none of them depends on another of the wave and all have the same
/// priority. Waves in order, and the ids in a wave in dependency order, so that flattening the
/// waves gives dependency_order back. Same errors as dependency_order.
caf::expected<std::vector<std::vector<std::string>>>
dependency_waves(const std::vector<plugin_metadata>& plugins);

} // namespace troupe
