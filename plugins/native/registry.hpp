#pragma once
// Compiled-in native plugins, registered by class name ("echo", "kv_store") so a config file can
// name them.

#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "plugins/api/plugin.hpp"

namespace troupe {

/// Maps class names to factories. Not thread-safe for writes: fill it before the runtime starts.
class native_registry {
public:
  /// Registers `factory` under `class_name`; replaces an earlier one of the same name.
  void add(const std::string& class_name, plugin_factory factory);

  /// Registers a default-constructible plugin class.
  template <class Plugin>
  void add(const std::string& class_name) {
    add(class_name, []() -> caf::expected<std::unique_ptr<plugin>> {
      return std::unique_ptr<plugin>{new Plugin()};
    });
  }

  /// The factory for `class_name`; not_found (listing what is registered) if there is none.
  caf::expected<plugin_factory> find(const std::string& class_name,
                                     const std::string& plugin_id) const;

  /// Every registered class name, sorted.
  std::vector<std::string> names() const;

private:
  std::map<std::string, plugin_factory> factories_;
};

} // namespace troupe
