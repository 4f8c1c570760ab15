#pragma once
// The tools one plugin offers, with their schemas parsed and compiled once, and argument checking.

#include <map>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <nlohmann/json.hpp>

#include "messages/payload.hpp"
#include "messages/plugin_types.hpp"
#include "plugins/api/json_schema.hpp"
#include "plugins/api/plugin.hpp"

namespace troupe {

/// A plugin's tool list as the host reports and checks it. Not thread-safe (one per host).
class tool_catalog {
public:
  /// Replaces the tools (after load). A tool whose schema is not valid JSON or not a schema
  /// this runtime can check is kept out and its problem logged; duplicate names keep the first.
  void reset(const std::string& plugin, const std::vector<tool_spec>& tools);

  /// Forgets every tool (at unload).
  void clear();

  /// The tools as reported to callers, sorted by name.
  std::vector<tool_info> list() const;

  /// Checks `args` against tool `name`'s schema: not_found naming the tools there are, or
  /// bad_input listing every violation. A nil payload counts as an empty arguments object.
  caf::error check(const std::string& name, const payload& args) const;

private:
  struct entry {
    tool_info info;
    compiled_schema schema; ///< Checked and its patterns compiled once, at registration.
  };
  std::string plugin_;
  std::map<std::string, entry> tools_;
};

} // namespace troupe
