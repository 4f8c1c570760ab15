#include "actors/dependency_order.hpp"

#include <algorithm>
#include <map>
#include <set>

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
  std::map<std::string, const plugin_metadata*> by_id;
  for (const auto& p : plugins)
    by_id[p.id] = &p;
  std::map<std::string, std::size_t> unmet;            // id -> dependencies not yet ordered
  std::map<std::string, std::vector<std::string>> dependents;
  for (const auto& p : plugins) {
    std::set<std::string> deps(p.dependencies.begin(), p.dependencies.end());
    for (const auto& d : deps) {
      if (by_id.count(d) == 0)
        return make_error(errc::missing_dependency, p.id,
                          "depends on '" + d + "', which is not registered");
      dependents[d].push_back(p.id);
    }
    unmet[p.id] = deps.size();
  }
  // Ready plugins, best first: higher priority, then smaller id.
  auto before = [&](const std::string& a, const std::string& b) {
    auto pa = by_id[a]->priority;
    auto pb = by_id[b]->priority;
    return pa != pb ? pa > pb : a < b;
  };
  std::set<std::string, decltype(before)> ready(before);
  for (const auto& [id, n] : unmet)
    if (n == 0)
      ready.insert(id);
  std::vector<std::string> order;
  while (!ready.empty()) {
    auto id = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(id);
    for (const auto& dependent : dependents[id])
      if (--unmet[dependent] == 0)
        ready.insert(dependent);
  }
  if (order.size() != plugins.size()) {
    std::set<std::string> remaining;
    for (const auto& [id, n] : unmet)
      if (n > 0)
        remaining.insert(id);
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
  std::map<std::string, const plugin_metadata*> by_id;
  for (const auto& p : plugins)
    by_id[p.id] = &p;
  std::vector<std::vector<std::string>> waves;
  std::set<std::string> in_wave;
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
