#pragma once
// How one plugin is made: the kind-neutral part of a [[plugins]] entry (its plugin_config), the
// name of its kind and the values of the keys that kind reads. The kind registry
// (plugins/api/kind_registry.hpp) turns a spec into a plugin_factory.

#include <map>
#include <string>
#include <vector>

#include "messages/plugin_types.hpp"

namespace troupe {

/// One plugin to make. A plain value: copy it freely.
struct plugin_spec {
  plugin_config config;  ///< id, settings, dependencies, group, restart type.
  std::string kind;      ///< A registered kind: "native", "library", "lua", ...
  /// The kind's own keys as text (e.g. "class", "library", "script"). Keys of type `path` are
  /// absolute once the config reader has resolved them.
  std::map<std::string, std::string> keys = {};
  /// Where the entry was written ("node.toml:12"), named in errors; "" if it has no file.
  std::string origin = {};
  /// The directory relative paths of this entry are anchored at. Default "": the working dir.
  std::string base_dir = {};
  /// Extra directories searched for files named without a path (node.plugin_dirs). Default none.
  std::vector<std::string> search_dirs = {};
  /// How many instances of it the node hosts (`replicas = N`): one plugin whose calls take
  /// turns over N actors, registered as "ID#1" ... "ID#N". Default 1.
  std::size_t replicas = 1;

  /// The value of key `name`, or "" if the entry does not set it.
  std::string key(const std::string& name) const {
    auto i = keys.find(name);
    return i == keys.end() ? std::string{} : i->second;
  }
};

} // namespace troupe
