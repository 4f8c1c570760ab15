#include "actors/dependency_order.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "messages/errors.hpp"

namespace troupe {

namespace {

/// Finds one cycle among `remaining` (plugins Kahn's algorithm could not order) by walking
/// dependencies until a plugin repeats.
std::string describe_cycle(const std::map<std::string, const plugin_metadata*>& by_id,
                           const std::set<std::string>& remaining) {
  std::vector<std::string> path;
  std::string current = *remaining.begin();
  while (std::find(path.begin(), path.end(), current) == path.end()) {
    path.push_back(current);
    const auto& deps = by_id.at(current)->dependencies;
    auto next = std::find_if(deps.begin(), deps.end(),
                             [&](const std::string& d) { return remaining.count(d) > 0; });
    current = *next; // exists: every remaining plugin has a remaining dependency
  }
  auto start = std::find(path.begin(), path.end(), current);
  std::string text;
  for (auto i = start; i != path.end(); ++i)
    text += *i + " -> ";
  return text + current;
}

} // namespace

caf::expected<std::vector<std::string>> dependency_order(const std::vector<plugin_metadata>& plugins) {
  // Indexes, not names, in the loop: a node orders thousands of plugins for every bulk step.
  std::unordered_map<std::string, std::size_t> index;
  index.reserve(plugins.size());
  for (std::size_t i = 0; i < plugins.size(); ++i)
    index[plugins[i].id] = i;
  std::vector<std::size_t> unmet(plugins.size(), 0); // dependencies not yet ordered
  std::vector<std::vector<std::size_t>> dependents(plugins.size());
  for (std::size_t i = 0; i < plugins.size(); ++i) {
    std::set<std::string> deps(plugins[i].dependencies.begin(), plugins[i].dependencies.end());
    for (const auto& d : deps) {
      auto found = index.find(d);
      if (found == index.end())
        return make_error(errc::missing_dependency, plugins[i].id,
                          "depends on '" + d + "', which is not registered");
      dependents[found->second].push_back(i);
    }
    unmet[i] = deps.size();
  }
  // Ready plugins, best first: higher priority, then smaller id.
  auto before = [&](std::size_t a, std::size_t b) {
    auto pa = plugins[a].priority;
    auto pb = plugins[b].priority;
    return pa != pb ? pa > pb : plugins[a].id < plugins[b].id;
  };
  std::set<std::size_t, decltype(before)> ready(before);
  for (std::size_t i = 0; i < plugins.size(); ++i)
    if (unmet[i] == 0)
      ready.insert(i);
  std::vector<std::string> order;
  order.reserve(plugins.size());
  while (!ready.empty()) {
    auto i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(plugins[i].id);
    for (auto dependent : dependents[i])
      if (--unmet[dependent] == 0)
        ready.insert(dependent);
  }
  if (order.size() != plugins.size()) {
    std::map<std::string, const plugin_metadata*> by_id;
    std::set<std::string> remaining;
    for (std::size_t i = 0; i < plugins.size(); ++i) {
      by_id[plugins[i].id] = &plugins[i];
      if (unmet[i] > 0)
        remaining.insert(plugins[i].id);
    }
    auto cycle = describe_cycle(by_id, remaining);
    return make_error(errc::dependency_cycle, cycle.substr(0, cycle.find(' ')),
                      "dependency cycle: " + cycle);
  }
  return order;
}

caf::expected<std::vector<std::vector<std::string>>>
dependency_waves(const std::vector<plugin_metadata>& plugins) {
  auto order = dependency_order(plugins);
  if (!order)
    return std::move(order.error());
  std::unordered_map<std::string, const plugin_metadata*> by_id;
  by_id.reserve(plugins.size());
  for (const auto& p : plugins)
    by_id[p.id] = &p;
  std::vector<std::vector<std::string>> waves;
  std::unordered_set<std::string> in_wave;
  for (const auto& id : *order) {
    const auto& md = *by_id.at(id);
    bool joins = !waves.empty() && by_id.at(waves.back().front())->priority == md.priority
                 && std::none_of(md.dependencies.begin(), md.dependencies.end(),
                                 [&](const std::string& d) { return in_wave.count(d) > 0; });
    if (!joins) {
      waves.emplace_back();
      in_wave.clear();
    }
    waves.back().push_back(id);
    in_wave.insert(id);
  }
  return waves;
}

} // namespace troupe
