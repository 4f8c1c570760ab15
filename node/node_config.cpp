#include "node/node_config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "messages/errors.hpp"
#include "node/cluster_table.hpp"
#include "node/door_tables.hpp"
#include "node/config_toml.hpp"
#include "node/plugin_entry.hpp"

namespace fs = std::filesystem;

namespace troupe {

using namespace config_toml;

namespace {

caf::error read_node_table(const std::string& origin, const toml::table& t, node_config& cfg) {
  static const std::set<std::string> known{"name", "log_level", "host", "port", "scheduler_policy",
                                           "threads", "plugin_dirs", "worker_idle", "data_dir"};
  for (const auto& [key, value] : t) {
    std::string k{key.str()};
    if (known.count(k) == 0)
      return bad(origin, value, "unknown key 'node." + k + "'");
    if (k == "port" || k == "threads") {
      auto n = integer_value(value);
      if (!n || *n < 0 || *n > 65535)
        return bad(origin, value, "'node." + k + "' must be an integer from 0 to 65535");
      if (k == "port") { // alias of cluster.listen's port
        cfg.cluster.port = static_cast<std::uint16_t>(*n);
        cfg.cluster.listen = *n != 0;
      }
      else
        cfg.threads = static_cast<std::uint32_t>(*n);
    } else if (k == "plugin_dirs") {
      auto dirs = string_list(origin, value, "node.plugin_dirs");
      if (!dirs)
        return std::move(dirs.error());
      cfg.plugin_dirs = std::move(*dirs);
    } else {
      if (!value.is_string())
        return bad(origin, value, "'node." + k + "' must be a string");
      auto text = *value.value<std::string>();
      if (k == "name")
        cfg.name = text;
      else if (k == "log_level")
        cfg.log_level = text;
      else if (k == "host") // alias of cluster.listen's host
        cfg.cluster.host = text;
      else if (k == "data_dir")
        cfg.data_dir = text;
      else if (k == "worker_idle")
        cfg.worker_idle = text;
      else
        cfg.scheduler_policy = text;
    }
  }
  static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (levels.count(cfg.log_level) == 0)
    return bad(origin, t, "'node.log_level' must be one of trace, debug, info, warn, error, critical, off");
  if (cfg.scheduler_policy != "stealing" && cfg.scheduler_policy != "sharing")
    return bad(origin, t, "'node.scheduler_policy' must be \"stealing\" or \"sharing\"");
  if (cfg.worker_idle != "wait" && cfg.worker_idle != "poll")
    return bad(origin, t, "'node.worker_idle' must be \"wait\" or \"poll\"");
  return {};
}

/// A non-negative integer key of a [[groups]] entry.
caf::expected<std::int64_t> group_integer(const std::string& origin, const toml::node& value,
                                          const std::string& key) {
  auto n = integer_value(value);
  if (!n || *n < 0)
    return bad(origin, value, "'" + key + "' in [[groups]] must be a non-negative integer");
  return *n;
}

/// Where a [[groups]] key's value goes, by the key's type.
template <class T>
using group_field = T& (*)(group_spec&);

using std::chrono::milliseconds;

const std::map<std::string, group_field<milliseconds>>& millisecond_keys() {
  static const std::map<std::string, group_field<milliseconds>> keys{
    {"within_ms", [](group_spec& g) -> milliseconds& { return g.intensity.within; }},
    {"backoff_min_ms", [](group_spec& g) -> milliseconds& { return g.backoff.min; }},
    {"backoff_max_ms", [](group_spec& g) -> milliseconds& { return g.backoff.max; }},
    {"backoff_reset_ms", [](group_spec& g) -> milliseconds& { return g.backoff.reset_after; }},
    {"queue_timeout_ms", [](group_spec& g) -> milliseconds& { return g.queue.timeout; }},
    {"health_interval_ms", [](group_spec& g) -> milliseconds& { return g.health.interval; }},
    {"watchdog_ms", [](group_spec& g) -> milliseconds& { return g.watchdog; }},
  };
  return keys;
}

const std::map<std::string, group_field<std::size_t>>& count_keys() {
  static const std::map<std::string, group_field<std::size_t>> keys{
    {"max_restarts", [](group_spec& g) -> std::size_t& { return g.intensity.max_restarts; }},
    {"queue_capacity", [](group_spec& g) -> std::size_t& { return g.queue.capacity; }},
    {"health_failures", [](group_spec& g) -> std::size_t& { return g.health.failures; }},
    {"checkpoint_every", [](group_spec& g) -> std::size_t& { return g.checkpoint_every; }},
    {"rollback_after", [](group_spec& g) -> std::size_t& { return g.rollback_after; }},
  };
  return keys;
}

const std::map<std::string, group_field<double>>& number_keys() {
  static const std::map<std::string, group_field<double>> keys{
    {"backoff_multiplier", [](group_spec& g) -> double& { return g.backoff.multiplier; }},
    {"backoff_jitter", [](group_spec& g) -> double& { return g.backoff.jitter; }},
  };
  return keys;
}

/// The [[groups]] keys whose values are strings or booleans.
caf::error read_group_word(const std::string& origin, const std::string& k,
                           const toml::node& value, group_spec& g) {
  if (k == "preserve_state" || k == "standby") {
    if (!value.is_boolean())
      return bad(origin, value, "'" + k + "' in [[groups]] must be true or false");
    (k == "standby" ? g.standby : g.preserve_state) = *value.value<bool>();
    return {};
  }
  if (k != "name" && k != "parent" && k != "strategy" && k != "queue")
    return bad(origin, value, "unknown key '" + k + "' in [[groups]]");
  if (!value.is_string())
    return bad(origin, value, "'" + k + "' in [[groups]] must be a string");
  auto s = *value.value<std::string>();
  if (k == "name" || k == "parent") {
    (k == "name" ? g.name : g.parent) = s;
  } else if (k == "strategy") {
    auto strategy = parse_strategy(s);
    if (!strategy)
      return bad(origin, value, detail_of(strategy.error()));
    g.strategy = *strategy;
  } else if (s == "wait" || s == "fail_fast") {
    g.queue.fail_fast = s == "fail_fast";
  } else {
    return bad(origin, value, "'queue' must be \"wait\" or \"fail_fast\"");
  }
  return {};
}

/// One key of a [[groups]] entry.
caf::error read_group_key(const std::string& origin, const std::string& k,
                          const toml::node& value, group_spec& g) {
  if (auto i = millisecond_keys().find(k); i != millisecond_keys().end()) {
    auto n = group_integer(origin, value, k);
    if (!n)
      return std::move(n.error());
    i->second(g) = milliseconds{*n};
  } else if (auto j = count_keys().find(k); j != count_keys().end()) {
    auto n = group_integer(origin, value, k);
    if (!n)
      return std::move(n.error());
    j->second(g) = static_cast<std::size_t>(*n);
  } else if (auto m = number_keys().find(k); m != number_keys().end()) {
    auto d = value.value<double>();
    if (!d || !(value.is_integer() || value.is_floating_point()))
      return bad(origin, value, "'" + k + "' in [[groups]] must be a number");
    m->second(g) = *d;
  } else {
    return read_group_word(origin, k, value, g);
  }
  return {};
}

/// One [[groups]] entry: a supervisor and its settings (see docs/supervision.md).
caf::expected<group_spec> read_group(const std::string& origin, const toml::table& t) {
  group_spec g;
  for (const auto& [key, value] : t)
    if (auto err = read_group_key(origin, std::string{key.str()}, value, g))
      return err;
  if (g.name.empty())
    return bad(origin, t, "every [[groups]] entry needs a 'name'");
  return g;
}

/// The [watch] table: hot reload of scripts in directories (docs/hot-reload.md).
caf::error read_watch(const std::string& origin, const std::string& config_dir,
                      const toml::table& t, watch_options& w) {
  for (const auto& [key, value] : t) {
    std::string k{key.str()};
    if (k == "dirs") {
      auto dirs = string_list(origin, value, "watch.dirs");
      if (!dirs)
        return std::move(dirs.error());
      for (const auto& d : *dirs)
        w.directories.push_back(resolve_relative(d, config_dir));
    } else if (k == "strategy") {
      auto text = value.value<std::string>();
      auto strategy = text ? parse_reload_strategy(*text) : parse_reload_strategy("");
      if (!strategy)
        return bad(origin, value, detail_of(strategy.error()));
      w.strategy = *strategy;
    } else if (k == "load_new" || k == "unload_removed") {
      if (!value.is_boolean())
        return bad(origin, value, "'watch." + k + "' must be true or false");
      (k == "load_new" ? w.load_new : w.unload_removed) = *value.value<bool>();
    } else if (k == "debounce_ms" || k == "max_attempts" || k == "retry_backoff_ms") {
      auto n = integer_value(value);
      if (!n || *n < 0)
        return bad(origin, value, "'watch." + k + "' must be a non-negative integer");
      if (k == "debounce_ms")
        w.debounce = std::chrono::milliseconds{*n};
      else if (k == "retry_backoff_ms")
        w.retry_backoff = std::chrono::milliseconds{*n};
      else
        w.max_attempts = static_cast<std::size_t>(*n);
    } else {
      return bad(origin, value, "unknown key 'watch." + k + "'");
    }
  }
  return {};
}


/// A plugin with `replicas = N` becomes N entries "ID#1" ... "ID#N"; a dependency on ID becomes
/// a dependency on each of them.
void expand_replicas(std::vector<plugin_spec>& plugins) {
  std::map<std::string, std::vector<std::string>> replicated;
  std::vector<plugin_spec> out;
  for (auto& p : plugins) {
    if (p.replicas <= 1) {
      out.push_back(std::move(p));
      continue;
    }
    auto& names = replicated[p.config.id];
    for (std::size_t k = 1; k <= p.replicas; ++k) {
      auto copy = p;
      copy.config.id += "#" + std::to_string(k);
      copy.replicas = 1;
      names.push_back(copy.config.id);
      out.push_back(std::move(copy));
    }
  }
  for (auto& p : out) {
    std::vector<std::string> deps;
    for (const auto& d : p.config.dependencies) {
      auto r = replicated.find(d);
      if (r == replicated.end())
        deps.push_back(d);
      else
        deps.insert(deps.end(), r->second.begin(), r->second.end());
    }
    p.config.dependencies = std::move(deps);
  }
  plugins = std::move(out);
}

} // namespace

caf::expected<node_config> parse_node_config(const std::string& text, const std::string& origin,
                                             const kind_registry& kinds) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return make_error(errc::config_error, "",
                      origin + ":" + std::to_string(e.source().begin.line) + ": "
                        + std::string(e.description()));
  }
  node_config cfg;
  cfg.path = origin;
  auto config_dir = fs::absolute(fs::path(origin)).parent_path().string();
  for (const auto& [key, value] : root) {
    std::string k{key.str()};
    if (k == "node") {
      if (!value.is_table())
        return bad(origin, value, "'node' must be a table");
      if (auto err = read_node_table(origin, *value.as_table(), cfg))
        return err;
    } else if (k == "plugins") {
      const auto* arr = value.as_array();
      if (arr == nullptr)
        return bad(origin, value, "'plugins' must be an array of tables: use [[plugins]]");
      std::set<std::string> ids;
      for (const auto& item : *arr) {
        if (!item.is_table())
          return bad(origin, item, "each entry of 'plugins' must be a table");
        auto spec = read_plugin_entry(origin, config_dir, *item.as_table(), kinds);
        if (!spec)
          return std::move(spec.error());
        if (!ids.insert(spec->config.id).second)
          return bad(origin, item, "plugin id '" + spec->config.id + "' is used twice");
        cfg.plugins.push_back(std::move(*spec));
      }
    } else if (k == "watch") {
      if (!value.is_table())
        return bad(origin, value, "'watch' must be a table");
      if (auto err = read_watch(origin, config_dir, *value.as_table(), cfg.watch))
        return err;
    } else if (k == "cluster") {
      if (!value.is_table())
        return bad(origin, value, "'cluster' must be a table");
      if (root.contains("node")
          && (root["node"]["host"].is_value() || root["node"]["port"].is_value()))
        return bad(origin, value,
                   "give the listen address once: [cluster] listen, or the older node.host and "
                   "node.port, not both");
      if (auto err = read_cluster_table(origin, config_dir, *value.as_table(), cfg.cluster))
        return err;
    } else if (k == "gateway" || k == "http") {
      if (!value.is_table())
        return bad(origin, value, "'" + k + "' must be a table");
      auto err = k == "gateway" ? read_gateway_table(origin, *value.as_table(), cfg.gateway)
                                : read_http_table(origin, *value.as_table(), cfg.http);
      if (err)
        return err;
    } else if (k == "groups") {
      const auto* arr = value.as_array();
      if (arr == nullptr)
        return bad(origin, value, "'groups' must be an array of tables: use [[groups]]");
      for (const auto& item : *arr) {
        if (!item.is_table())
          return bad(origin, item, "each entry of 'groups' must be a table");
        auto group = read_group(origin, *item.as_table());
        if (!group)
          return std::move(group.error());
        cfg.supervision.groups.push_back(std::move(*group));
      }
    } else {
      return bad(origin, value,
                 "unknown top-level key '" + k
                   + "' (expected [node], [cluster], [gateway], [http], [[plugins]], [[groups]] or [watch])");
    }
  }
  cfg.data_dir = cfg.data_dir.empty()
                   ? (fs::path(config_dir) / "troupe-data" / cfg.name).string()
                   : resolve_relative(cfg.data_dir, config_dir);
  expand_replicas(cfg.plugins);
  for (auto& p : cfg.plugins)
    p.search_dirs = cfg.plugin_dirs; // relative ones are anchored at p.base_dir
  if (auto err = validate(cfg.supervision))
    return make_error(errc::config_error, "", origin + ": " + detail_of(err));
  for (const auto& p : cfg.plugins)
    if (!p.config.group.empty() && find_group(cfg.supervision, p.config.group) == nullptr)
      return make_error(errc::config_error, p.config.id,
                        origin + ": its group '" + p.config.group
                          + "' is not defined (add a [[groups]] entry with that name)");
  return cfg;
}

caf::expected<node_config> load_node_config(const std::string& path, const kind_registry& kinds) {
  std::ifstream in{path};
  if (!in)
    return make_error(errc::not_found, "", "cannot read config file '" + path + "'");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_node_config(buffer.str(), path, kinds);
}

} // namespace troupe