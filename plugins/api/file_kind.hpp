#pragma once
// The shape shared by the plugin kinds made from one watched file with a sandbox limits table
// (Lua scripts, WebAssembly modules): the file key, the [plugins.limits] table, the file watch
// pattern, the entry for a new file, and the config-time limit check.

#include <functional>
#include <map>
#include <string>

#include "plugins/api/kind_definition.hpp"

namespace troupe {

/// The config-time check of a kind's limits for file_kind: `parse(settings)` answers
/// caf::expected of the kind's limits; the check passes its error on.
template <class Parse>
std::function<caf::error(const std::map<std::string, std::string>&)> limits_check(Parse parse) {
  return [parse](const std::map<std::string, std::string>& settings) -> caf::error {
    auto limits = parse(settings);
    return limits ? caf::error{} : std::move(limits.error());
  };
}

/// A kind_definition named `name` whose entries name their file with `file_key` (a required
/// path that selects the kind) and take a `limits` table (settings "limit.<name>") that
/// `check_limits` checks at config time; files matching `pattern` are watched, and a new one
/// becomes plugin `id_for_file(path)`. The caller adds make_factory and validate.
kind_definition file_kind(std::string name, std::string file_key, std::string pattern,
                          std::function<std::string(const std::string&)> id_for_file,
                          std::function<caf::error(const std::map<std::string, std::string>&)>
                            check_limits);

} // namespace troupe
