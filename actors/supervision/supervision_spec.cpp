#include "actors/supervision/supervision_spec.hpp"

#include <cmath>
#include <map>
#include <set>

#include "messages/errors.hpp"

namespace troupe {

const group_spec* find_group(const supervision_config& cfg, const std::string& name) {
  for (const auto& g : cfg.groups)
    if (g.name == name)
      return &g;
  if (name == root_group) {
    static const group_spec default_root = [] {
      group_spec g;
      g.name = root_group;
      g.parent.clear();
      return g;
    }();
    return &default_root;
  }
  return nullptr;
}

namespace {

caf::error bad(const std::string& group, const std::string& what) {
  return make_error(errc::config_error, "", "supervision group '" + group + "': " + what);
}

caf::error check_values(const group_spec& g) {
  if (g.name.empty())
    return make_error(errc::config_error, "", "a supervision group needs a name");
  if (std::isnan(g.backoff.multiplier) || std::isnan(g.backoff.jitter))
    return bad(g.name, "backoff multiplier and jitter must be numbers");
  if (g.backoff.multiplier < 1.0)
    return bad(g.name, "backoff multiplier must be at least 1");
  if (g.backoff.jitter < 0.0 || g.backoff.jitter > 1.0)
    return bad(g.name, "backoff jitter must be between 0 and 1");
  if (g.backoff.min.count() < 0 || g.backoff.max < g.backoff.min)
    return bad(g.name, "backoff max must be at least backoff min (and min not negative)");
  if (g.health.failures == 0)
    return bad(g.name, "health failures must be at least 1");
  if (g.queue.timeout.count() < 0 || g.watchdog.count() < 0 || g.health.interval.count() < 0
      || g.intensity.within.count() <= 0)
    return bad(g.name, "durations must not be negative (intensity within must be positive)");
  return {};
}

} // namespace

caf::error validate(const supervision_config& cfg) {
  std::map<std::string, std::string> parent_of;
  for (const auto& g : cfg.groups) {
    if (auto err = check_values(g))
      return err;
    if (!parent_of.emplace(g.name, g.name == root_group ? "" : g.parent).second)
      return bad(g.name, "defined twice");
  }
  parent_of.emplace(root_group, "");
  for (const auto& [name, parent] : parent_of)
    if (name != root_group && parent_of.count(parent) == 0)
      return bad(name, "its parent '" + parent + "' is not a group");
  for (const auto& [name, parent] : parent_of) {
    std::set<std::string> seen{name};
    for (auto up = parent; !up.empty() && up != root_group; up = parent_of.at(up))
      if (!seen.insert(up).second)
        return bad(name, "its parents form a cycle");
  }
  return {};
}

std::string to_string(restart_strategy x) {
  switch (x) {
    case restart_strategy::one_for_one: return "one_for_one";
    case restart_strategy::one_for_all: return "one_for_all";
    case restart_strategy::rest_for_one: return "rest_for_one";
  }
  return "?";
}

std::string to_string(restart_type x) {
  switch (x) {
    case restart_type::permanent: return "permanent";
    case restart_type::transient: return "transient";
    case restart_type::temporary: return "temporary";
  }
  return "?";
}

caf::expected<restart_strategy> parse_strategy(const std::string& text) {
  for (auto x : {restart_strategy::one_for_one, restart_strategy::one_for_all,
                 restart_strategy::rest_for_one})
    if (text == to_string(x))
      return x;
  return make_error(errc::config_error, "",
                    "unknown strategy '" + text + "' (one_for_one, one_for_all, rest_for_one)");
}

caf::expected<restart_type> parse_restart_type(const std::string& text) {
  if (text.empty())
    return restart_type::permanent;
  for (auto x : {restart_type::permanent, restart_type::transient, restart_type::temporary})
    if (text == to_string(x))
      return x;
  return make_error(errc::config_error, "",
                    "unknown restart type '" + text + "' (permanent, transient, temporary)");
}

} // namespace troupe
