#include "actors/supervision/supervision_tree.hpp"

#include <algorithm>

#include "messages/errors.hpp"

namespace troupe {

supervision_tree::supervision_tree(const supervision_config& cfg,
                                   std::function<double()> unit_random)
  : unit_random_(std::move(unit_random)) {
  auto add = [this](const group_spec& spec) {
    groups_.emplace(spec.name, group_node{spec, {}, restart_intensity{spec.intensity}, {}});
  };
  add(*find_group(cfg, root_group));
  for (const auto& g : cfg.groups)
    if (g.name != root_group)
      add(g);
  // Nested groups are children of their parent in the order the config lists them.
  for (const auto& g : cfg.groups)
    if (g.name != root_group)
      groups_.at(g.parent).children.push_back({true, g.name});
}

caf::error supervision_tree::add_plugin(const std::string& id, const std::string& group,
                                        restart_type type) {
  auto name = group.empty() ? root_group : group;
  auto g = groups_.find(name);
  if (g == groups_.end())
    return make_error(errc::config_error, id, "no supervision group named '" + name + "'");
  if (!plugins_.emplace(id, leaf{name, type}).second)
    return make_error(errc::already_exists, id, "already supervised");
  g->second.children.push_back({false, id});
  return {};
}

void supervision_tree::remove_plugin(const std::string& id) {
  auto p = plugins_.find(id);
  if (p == plugins_.end())
    return;
  auto& g = groups_.at(p->second.group);
  auto& kids = g.children;
  kids.erase(std::remove_if(kids.begin(), kids.end(),
                            [&](const child& c) { return !c.is_group && c.name == id; }),
             kids.end());
  g.backoffs.erase(id);
  plugins_.erase(p);
}

const group_spec& supervision_tree::group_of(const std::string& id) const {
  auto p = plugins_.find(id);
  return groups_.at(p == plugins_.end() ? root_group : p->second.group).spec;
}

std::vector<std::string> supervision_tree::plugins_under(const std::string& group) const {
  std::vector<std::string> out;
  collect(group, out);
  return out;
}

void supervision_tree::collect(const std::string& group, std::vector<std::string>& out) const {
  for (const auto& c : groups_.at(group).children) {
    if (c.is_group)
      collect(c.name, out);
    else
      out.push_back(c.name);
  }
}

void supervision_tree::reset_subtree(const std::string& group) {
  auto& g = groups_.at(group);
  g.intensity.reset();
  g.backoffs.clear();
  for (const auto& c : g.children)
    if (c.is_group)
      reset_subtree(c.name);
}

std::vector<supervision_tree::child> supervision_tree::affected(const group_node& g,
                                                                const std::string& failed) const {
  const auto& kids = g.children;
  auto at = std::find_if(kids.begin(), kids.end(), [&](const child& c) { return c.name == failed; });
  switch (g.spec.strategy) {
    case restart_strategy::one_for_one:
      return {child{at != kids.end() && at->is_group, failed}};
    case restart_strategy::one_for_all:
      return kids;
    case restart_strategy::rest_for_one:
      if (at == kids.end())
        return {child{false, failed}};
      return {at, kids.end()};
  }
  return {};
}

std::chrono::nanoseconds supervision_tree::delay_for(group_node& g, const std::string& child_name,
                                                     time_point now, std::size_t& attempt) {
  auto b = g.backoffs.try_emplace(child_name, g.spec.backoff).first;
  auto delay = b->second.next(now, unit_random_ ? unit_random_() : 0.5);
  attempt = b->second.consecutive();
  return delay;
}

restart_plan supervision_tree::on_exit(const std::string& id, bool abnormal, time_point now) {
  restart_plan plan;
  auto p = plugins_.find(id);
  if (p == plugins_.end())
    return plan;
  auto type = p->second.type;
  if (type == restart_type::temporary || (type == restart_type::transient && !abnormal)) {
    plan.removed.emplace_back(id, type == restart_type::temporary
                                    ? "temporary: not restarted"
                                    : "transient and exited normally: not restarted");
    remove_plugin(id);
    return plan;
  }
  std::string failed = id; // the child (plugin or group) that failed within `group`
  std::string group = p->second.group;
  for (;;) {
    auto& g = groups_.at(group);
    if (g.intensity.admit(now))
      break;
    plan.escalated.push_back(group);
    if (group == root_group) {
      plan.gave_up = true;
      for (auto& other : plugins_under(root_group)) {
        if (other != id)
          plan.stop.push_back(other);
        plan.removed.emplace_back(other, "the root group exceeded its restart intensity");
      }
      for (const auto& [other, reason] : plan.removed)
        remove_plugin(other);
      reset_subtree(root_group); // plugins registered afresh start with a clean history
      return plan;
    }
    failed = group;
    group = g.spec.parent;
  }
  auto& g = groups_.at(group);
  plan.group = group;
  for (const auto& c : affected(g, failed)) {
    std::vector<std::string> leaves;
    if (c.is_group) {
      reset_subtree(c.name);
      collect(c.name, leaves);
    } else {
      leaves.push_back(c.name);
    }
    for (auto& leaf_id : leaves) {
      if (leaf_id != id)
        plan.stop.push_back(leaf_id);
      if (plugins_.at(leaf_id).type == restart_type::temporary)
        plan.removed.emplace_back(leaf_id, "temporary: stopped with its group, not restarted");
      else
        plan.restart.push_back(leaf_id);
    }
  }
  for (const auto& [gone, reason] : plan.removed)
    remove_plugin(gone);
  plan.delay = delay_for(g, failed, now, plan.attempt);
  return plan;
}

} // namespace troupe
