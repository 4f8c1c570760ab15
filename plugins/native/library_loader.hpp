#pragma once
// Loads native plugins from shared libraries at run time (dlopen), checking the ABI version first.
// A missing, broken or mismatched library is refused with an error value; the process stays up.

#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "plugins/api/plugin.hpp"

namespace troupe {

/// Opens the library at `path` and creates one plugin instance from it. The returned plugin keeps
/// the library open until the plugin is destroyed. `plugin_id` only names the plugin in errors.
/// Errors: not_found (no such file), load_failed (dlopen failed, symbols missing, create returned
/// null), abi_mismatch (the library speaks another ABI version).
caf::expected<std::unique_ptr<plugin>> load_library_plugin(const std::string& path,
                                                           const std::string& plugin_id);

/// A factory that loads a fresh instance from `path` each time it is called.
plugin_factory library_plugin_factory(std::string path, std::string plugin_id);

} // namespace troupe
