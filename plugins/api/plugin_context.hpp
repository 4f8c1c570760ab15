#pragma once
// What a plugin sees of its surroundings: its id, its config and the runtime's shared state.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "messages/plugin_types.hpp"
#include "plugins/api/shared_state.hpp"

namespace troupe {

/// Handed to a plugin's lifecycle hooks and execute. Owned by the plugin's host actor; valid from
/// load until unload. The config accessors are const and cheap; shared() is thread-safe.
class plugin_context {
public:
  /// REQUIRES: `shared` is not null.
  plugin_context(plugin_config config, std::shared_ptr<shared_state> shared);

  /// The instance id from the config.
  const std::string& plugin_id() const { return config_.id; }

  /// The whole config this instance was loaded with.
  const plugin_config& config() const { return config_; }

  /// A setting as text, or nullopt if it is not set.
  std::optional<std::string> setting(const std::string& key) const;

  /// A setting as text, or `fallback`.
  std::string setting_or(const std::string& key, const std::string& fallback) const;

  /// A setting as an integer; nullopt if unset or not an integer.
  std::optional<std::int64_t> int_setting(const std::string& key) const;

  /// A setting as a boolean ("true"/"false"/"1"/"0"/"yes"/"no"); nullopt if unset or not one.
  std::optional<bool> bool_setting(const std::string& key) const;

  /// The state shared between all plugins of the runtime.
  shared_state& shared() const { return *shared_; }

private:
  plugin_config config_;
  std::shared_ptr<shared_state> shared_;
};

} // namespace troupe
