#pragma once
// The supervision tree as data: groups (supervisors) nest into a tree, plugins are their leaves.
// It decides what to do when a plugin exits; the manager actor carries the decision out. Pure and
// single-threaded: time and randomness are passed in, so every decision is reproducible in tests.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>

#include "actors/supervision/backoff.hpp"
#include "actors/supervision/restart_intensity.hpp"
#include "actors/supervision/supervision_spec.hpp"

namespace troupe {

/// What to do after a plugin exited.
struct restart_plan {
  /// The group whose strategy chose the restarts (after any escalation); "" if none restart.
  std::string group;
  /// Plugins to stop now because a sibling (or their group) failed, in start order. The plugin
  /// that exited is not listed.
  std::vector<std::string> stop;
  /// Plugins to start again after `delay`, in start order (the exited one included).
  std::vector<std::string> restart;
  std::chrono::nanoseconds delay{0};
  /// 1 for the first restart after a quiet period, 2 for the next, and so on.
  std::size_t attempt = 0;
  /// Plugins dropped from the tree for good, each with the reason.
  std::vector<std::pair<std::string, std::string>> removed;
  /// Groups that exceeded their restart intensity, innermost first.
  std::vector<std::string> escalated;
  /// The root group exceeded its intensity: every plugin is stopped and removed.
  bool gave_up = false;
};

/// REQUIRES: the config passed validate().
class supervision_tree {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// `unit_random` returns numbers in [0, 1) for the backoff jitter.
  supervision_tree(const supervision_config& cfg, std::function<double()> unit_random);

  /// Adds a plugin as the last child of `group` ("" means root). config_error if the group does
  /// not exist, already_exists if the id is in the tree.
  caf::error add_plugin(const std::string& id, const std::string& group, restart_type type);

  /// Drops a plugin (unregistered or removed); unknown ids are ignored.
  void remove_plugin(const std::string& id);

  /// True if the plugin is in the tree.
  bool contains(const std::string& id) const { return plugins_.count(id) > 0; }

  /// The settings of the group a plugin belongs to (root's for plugins not in the tree).
  const group_spec& group_of(const std::string& id) const;

  /// Decides what follows the exit of plugin `id` at `now`; `abnormal` is true for a crash.
  /// Updates intensities and backoffs. Unknown ids give an empty plan.
  restart_plan on_exit(const std::string& id, bool abnormal, time_point now);

  /// Every plugin under a group, depth first in start order.
  std::vector<std::string> plugins_under(const std::string& group) const;

private:
  struct child {
    bool is_group = false;
    std::string name;
  };

  struct group_node {
    group_spec spec;
    std::vector<child> children;
    restart_intensity intensity;
    std::map<std::string, backoff> backoffs; ///< Per child name.
  };

  struct leaf {
    std::string group;
    restart_type type = restart_type::permanent;
  };

  std::vector<child> affected(const group_node& g, const std::string& failed) const;
  void collect(const std::string& group, std::vector<std::string>& out) const;
  void reset_subtree(const std::string& group);
  std::chrono::nanoseconds delay_for(group_node& g, const std::string& child_name, time_point now,
                                     std::size_t& attempt);

  std::map<std::string, group_node> groups_;
  std::map<std::string, leaf> plugins_;
  std::function<double()> unit_random_;
};

} // namespace troupe
