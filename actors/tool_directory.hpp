#pragma once
// The node's directory of tools: which plugin offers which tool. The manager keeps it current as
// plugins load, initialise, reload, roll back, unload and go away, so that `tools` and `call_tool`
// answer from it instead of asking every plugin on every call. Plain data, not thread-safe (one
// per manager).

#include <map>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "messages/plugin_types.hpp"

namespace troupe {

class tool_directory {
public:
  /// Replaces every tool of `plugin` with `tools` (an empty list removes them).
  void set(const std::string& plugin, std::vector<tool_info> tools);

  /// Forgets every tool of `plugin`.
  void remove(const std::string& plugin);

  /// Every tool, sorted by plugin, then by name.
  std::vector<tool_info> all() const;

  /// The one tool `name` names: "tool", or "plugin/tool" when several plugins offer a tool of
  /// that name. not_found if none does (naming the tools there are), bad_input if `name` is
  /// ambiguous (listing the qualified names to use instead).
  caf::expected<tool_info> resolve(const std::string& name) const;

private:
  std::map<std::string, std::vector<tool_info>> by_plugin_; ///< Each list sorted by name.
};

} // namespace troupe
