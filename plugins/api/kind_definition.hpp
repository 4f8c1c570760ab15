#pragma once
// One kind of plugin (compiled-in class, shared library, Lua script, later WebAssembly): the keys
// of a [[plugins]] entry it reads, how it makes a plugin_factory from an entry, the files the
// watcher reloads, and how it validates a source file. Each kind lives in its own folder under
// plugins/ and is registered with one line in plugins/kinds/standard_kinds.cpp. See
// docs/plugins.md ("Adding a plugin kind").

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "plugins/api/plugin.hpp"
#include "plugins/api/plugin_spec.hpp"

namespace troupe {

class native_registry;

/// How the config reader takes a kind's key from a [[plugins]] entry.
enum class key_type : std::uint8_t {
  text,  ///< A string, kept as written.
  path,  ///< A string naming a file, made absolute against the config file's directory.
  table, ///< A table of scalars; each entry becomes the setting `settings_prefix + name`.
};

/// A key of a [[plugins]] entry that a kind reads.
struct kind_key {
  std::string name;             ///< As written in the entry ("class", "script", "limits").
  key_type type = key_type::text;
  bool required = false;        ///< The config reader refuses an entry of this kind without it.
  std::string settings_prefix;  ///< key_type::table only: prefix of the settings it fills.
};

/// One problem a kind's validator found in a source file.
struct source_problem {
  int line = 0;          ///< 1-based; 0 when it concerns the whole file.
  std::string message;   ///< Without a "file:line:" prefix.
  bool warning = false;  ///< A warning, or an error (the file would not load).
};

/// What the runtime lends every kind when it makes a factory.
struct kind_context {
  /// The runtime's compiled-in classes (read by the "native" kind). May be null.
  std::shared_ptr<const native_registry> natives;
};

/// A plugin kind. Only `name` and `make_factory` are required; every other part may be empty.
struct kind_definition {
  std::string name;                ///< "native", "library", "lua": the `kind` key's value.
  std::vector<kind_key> keys;      ///< The kind's own keys of a [[plugins]] entry.
  /// When an entry names no `kind`, it is of the first registered kind whose selecting key it
  /// sets ("script" selects "lua"); "" for none.
  std::string selecting_key;
  /// The key naming the file the plugin is made from ("script"), matched with watch_patterns
  /// to reload the plugin when that file changes; "" for none.
  std::string file_key;
  /// File-name patterns (fnmatch, e.g. "*.lua") the file watcher reloads; empty: the watcher
  /// ignores this kind's files (they reload by command only).
  std::vector<std::string> watch_patterns;
  /// Makes the factory for an entry. Errors name the plugin (spec.config.id).
  std::function<caf::expected<plugin_factory>(const plugin_spec&, const kind_context&)>
    make_factory;
  /// Config-time checks beyond the required keys (e.g. Lua's limits); may be empty.
  std::function<caf::error(const plugin_spec&)> check;
  /// Validates a source file's text without running it; may be empty.
  std::function<std::vector<source_problem>(const std::string& text)> validate;
  /// The entry for a file that matches watch_patterns and names no plugin yet (the watcher's
  /// load_new, `troupe exec --script`); may be empty.
  std::function<plugin_spec(const std::string& path)> spec_for_file;
};

} // namespace troupe
