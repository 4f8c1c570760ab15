#include "actors/tool_directory.hpp"

#include <algorithm>

#include "messages/errors.hpp"

namespace troupe {

void tool_directory::set(const std::string& plugin, std::vector<tool_info> tools) {
  if (tools.empty()) {
    by_plugin_.erase(plugin);
    return;
  }
  std::sort(tools.begin(), tools.end(),
            [](const tool_info& a, const tool_info& b) { return a.name < b.name; });
  by_plugin_[plugin] = std::move(tools);
}

void tool_directory::remove(const std::string& plugin) {
  by_plugin_.erase(plugin);
}

std::vector<tool_info> tool_directory::all() const {
  std::vector<tool_info> result;
  for (const auto& [plugin, tools] : by_plugin_)
    result.insert(result.end(), tools.begin(), tools.end());
  return result;
}

caf::expected<tool_info> tool_directory::resolve(const std::string& name) const {
  std::vector<const tool_info*> matches;
  for (const auto& [plugin, tools] : by_plugin_)
    for (const auto& t : tools)
      if (t.name == name || plugin + "/" + t.name == name)
        matches.push_back(&t);
  if (matches.size() == 1)
    return *matches.front();
  if (matches.empty())
    return make_error(errc::not_found, "", "no plugin offers a tool named '" + name + "'");
  std::string which;
  for (const auto* t : matches)
    which += (which.empty() ? "" : ", ") + t->plugin + "/" + t->name;
  return make_error(errc::bad_input, "",
                    "tool name '" + name + "' is ambiguous; use one of " + which);
}

} // namespace troupe
