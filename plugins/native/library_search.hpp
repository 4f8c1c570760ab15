#pragma once
// Where the "library" kind finds a shared library named in a [[plugins]] entry.

#include <string>

#include <caf/expected.hpp>

#include "plugins/api/plugin_spec.hpp"

namespace troupe {

/// Resolves spec.key("library") to an existing file. A path (it contains '/' or ends in .so) is
/// taken as is if absolute, else relative to spec.base_dir. A bare name is searched as
/// lib<name>.so or <name> in spec.search_dirs, $TROUPE_PLUGIN_PATH (colon-separated),
/// <exe_dir>/../plugins and <exe_dir>/../lib/troupe/plugins, where exe_dir is the directory of
/// the running program. not_found naming the plugin and where it looked otherwise.
caf::expected<std::string> resolve_library(const plugin_spec& spec);

/// The directory of the running program ("" if /proc/self/exe cannot be read).
std::string program_dir();

} // namespace troupe
