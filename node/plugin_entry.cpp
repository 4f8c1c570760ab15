#include "node/plugin_entry.hpp"

#include <set>

#include "actors/supervision/supervision_spec.hpp"
#include "messages/errors.hpp"
#include "node/config_toml.hpp"

namespace troupe {

using namespace config_toml;

namespace {

/// The kind of a [[plugins]] entry: its `kind` key, else the one its keys select.
caf::expected<std::string> entry_kind(const std::string& origin, const toml::table& t,
                                      const kind_registry& kinds) {
  if (const auto* kind = t.get("kind")) {
    if (!kind->is_string())
      return bad(origin, *kind, "'kind' must be a string");
    return *kind->value<std::string>();
  }
  std::vector<std::string> keys;
  for (const auto& [key, value] : t)
    keys.emplace_back(key.str());
  return kinds.select(keys);
}

/// Reads a table key of a kind into the settings `prefix + name`.
caf::error read_settings(const std::string& origin, const std::string& config_dir,
                         const std::string& k, const toml::node& value,
                         const std::string& prefix, plugin_config& cfg) {
  const auto* settings = value.as_table();
  if (settings == nullptr)
    return bad(origin, value, "'" + k + "' must be a table");
  for (const auto& [skey, svalue] : *settings) {
    auto text = scalar_text(svalue);
    if (!text)
      return bad(origin, svalue, k + " entry '" + std::string(skey.str())
                                   + "' must be a string, integer, float or boolean");
    cfg.settings[prefix + std::string(skey.str())] = expand(*text, config_dir);
  }
  return {};
}

/// One key of a [[plugins]] entry that every kind has.
caf::error read_common_key(const std::string& origin, const std::string& config_dir,
                           const std::string& k, const toml::node& value, plugin_spec& spec) {
  if (k == "kind")
    return {};
  if (k == "dependencies") {
    auto deps = string_list(origin, value, "dependencies");
    if (!deps)
      return std::move(deps.error());
    spec.config.dependencies = std::move(*deps);
    return {};
  }
  if (k == "settings")
    return read_settings(origin, config_dir, k, value, "", spec.config);
  if (k == "replicas") {
    auto n = integer_value(value);
    if (!n || *n < 1 || *n > 256)
      return bad(origin, value, "'replicas' must be an integer from 1 to 256");
    spec.replicas = static_cast<std::size_t>(*n);
    return {};
  }
  if (k == "idempotent") {
    if (!value.is_boolean())
      return bad(origin, value, "'idempotent' must be true or false");
    spec.config.idempotent = *value.value<bool>();
    return {};
  }
  if (!value.is_string())
    return bad(origin, value, "'" + k + "' must be a string");
  auto text = *value.value<std::string>();
  (k == "id" ? spec.config.id : k == "group" ? spec.config.group : spec.config.restart) = text;
  return {};
}

/// One key the entry's kind reads.
caf::error read_kind_key(const std::string& origin, const std::string& config_dir,
                         const kind_key& key, const toml::node& value, plugin_spec& spec) {
  if (key.type == key_type::table)
    return read_settings(origin, config_dir, key.name, value, key.settings_prefix, spec.config);
  if (!value.is_string())
    return bad(origin, value, "'" + key.name + "' must be a string");
  auto text = *value.value<std::string>();
  spec.keys[key.name] = key.type == key_type::path ? resolve_relative(text, config_dir) : text;
  return {};
}

} // namespace

caf::expected<plugin_spec> read_plugin_entry(const std::string& origin,
                                             const std::string& config_dir,
                                             const toml::table& t, const kind_registry& kinds) {
  static const std::set<std::string> common{"id",    "kind",    "dependencies", "settings",
                                            "group", "restart", "idempotent", "replicas"};
  plugin_spec spec;
  spec.origin = where(origin, t);
  spec.base_dir = config_dir;
  auto kind_name = entry_kind(origin, t, kinds);
  if (!kind_name)
    return std::move(kind_name.error());
  spec.kind = *kind_name;
  auto kind = kinds.find(spec.kind);
  if (!kind)
    return bad(origin, t, "plugin '" + t["id"].value_or(std::string{}) + "': "
                            + detail_of(kind.error()));
  for (const auto& [key, value] : t) {
    std::string k{key.str()};
    const kind_key* own = nullptr;
    for (const auto& candidate : (*kind)->keys)
      own = candidate.name == k ? &candidate : own;
    caf::error err;
    if (common.count(k) > 0)
      err = read_common_key(origin, config_dir, k, value, spec);
    else if (own != nullptr)
      err = read_kind_key(origin, config_dir, *own, value, spec);
    else
      err = bad(origin, value, "unknown key '" + k + "' in [[plugins]] of kind \"" + spec.kind
                                 + "\"");
    if (err)
      return err;
  }
  if (spec.config.id.empty())
    return bad(origin, t, "every [[plugins]] entry needs an 'id'");
  if (spec.config.id.find_first_of("#/") != std::string::npos)
    return bad(origin, t, "plugin id '" + spec.config.id
                            + "': '#' and '/' are reserved (replicas are named ID#N)");
  if (auto err = kinds.check(spec))
    return err;
  if (auto restart = parse_restart_type(spec.config.restart); !restart)
    return bad(origin, t, "plugin '" + spec.config.id + "': " + detail_of(restart.error()));
  return spec;
}

} // namespace troupe
