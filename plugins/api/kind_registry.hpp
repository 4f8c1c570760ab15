#pragma once
// The registry of plugin kinds: the one seam through which the config reader, the runtime, the
// file watcher and the CLI make plugins. Fill it before use; reading it from several threads at
// once is safe, changing it while others read is not.

#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "plugins/api/kind_definition.hpp"

namespace troupe {

/// Plugin kinds by name, in registration order.
class kind_registry {
public:
  /// Registers `kind`; replaces an earlier kind of the same name (keeping its place).
  /// REQUIRES: kind.name is not empty and kind.make_factory is set.
  void add(kind_definition kind);

  /// The kind called `name`; config_error naming the kinds there are otherwise.
  caf::expected<const kind_definition*> find(const std::string& name) const;

  /// Every registered kind's name, in registration order.
  std::vector<std::string> names() const;

  /// The kind an entry without a `kind` key is of: the first whose selecting key is among
  /// `keys`, else the default kind.
  std::string select(const std::vector<std::string>& keys) const;

  /// The kind of entries that set no selecting key. Default: "native".
  void set_default(std::string name) { default_ = std::move(name); }
  const std::string& default_kind() const { return default_; }

  /// Checks an entry: its kind exists, its required keys are set, and the kind's own check.
  /// config_error naming the plugin (and spec.origin) otherwise.
  caf::error check(const plugin_spec& spec) const;

  /// The factory for `spec`. Errors name the plugin, and spec.origin where there is one.
  caf::expected<plugin_factory> make_factory(const plugin_spec& spec,
                                             const kind_context& ctx) const;

  /// The kind whose watch patterns match the file name of `path`; nullptr if none does.
  const kind_definition* watching(const std::string& path) const;

  /// The entry for a new file of a watched kind (kind_definition::spec_for_file); not_found if
  /// no kind's patterns match it or the kind cannot make a plugin from a file alone.
  caf::expected<plugin_spec> spec_for_file(const std::string& path) const;

  /// Every watch pattern of every kind.
  std::vector<std::string> watch_patterns() const;

private:
  std::vector<kind_definition> kinds_;
  std::string default_ = "native";
};

/// True if the file name of `path` (not the directories) matches the fnmatch `pattern`; names
/// starting with '.' (editors' temporary files) never match.
bool file_matches(const std::string& path, const std::string& pattern);

} // namespace troupe
