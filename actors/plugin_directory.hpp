#pragma once
// Where each registered plugin of this process answers: id -> the plugin's stable actor address.
// The manager writes it; callers in the same process (the blocking API, scripts' call_plugin)
// resolve an id here without a message. Processes elsewhere ask the manager (lookup).

#include <map>
#include <shared_mutex>
#include <string>
#include <vector>

#include "messages/plugin_protocol.hpp"

namespace troupe {

/// Thread-safe: many readers, one writer (the manager).
class plugin_directory {
public:
  /// The address of plugin `id`, or a null handle if none is registered under it.
  plugin_actor find(const std::string& id) const;

  /// Records (or replaces) where plugin `id` answers.
  void set(const std::string& id, plugin_actor address);

  /// Forgets plugin `id` (unregistered).
  void erase(const std::string& id);

  /// Forgets every plugin (the manager stopped).
  void clear();

private:
  mutable std::shared_mutex mtx_;
  std::map<std::string, plugin_actor, std::less<>> addresses_;
};

} // namespace troupe
