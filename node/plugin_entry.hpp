#pragma once
// Reading one [[plugins]] entry of a node config: the keys every entry has (id, kind,
// dependencies, settings, group, restart) and the keys of its kind, as the kind registry says.

#include <string>

#include <caf/expected.hpp>
#include <toml++/toml.h>

#include "plugins/api/kind_registry.hpp"
#include "plugins/api/plugin_spec.hpp"

namespace troupe {

/// The plugin_spec of entry `t` of file `origin` (relative paths anchored at `config_dir`):
/// its kind is its `kind` key or the kind its keys select; a key neither common nor of that kind,
/// a missing required key, or a failed kind check is a config_error naming the file and line.
caf::expected<plugin_spec> read_plugin_entry(const std::string& origin,
                                             const std::string& config_dir,
                                             const toml::table& t, const kind_registry& kinds);

} // namespace troupe
