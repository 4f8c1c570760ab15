#include "plugins/api/kind_registry.hpp"

#include <algorithm>
#include <filesystem>

#include <fnmatch.h>

#include "messages/errors.hpp"

namespace troupe {

namespace {

/// `err` with "origin: " before its detail, the plugin and code kept; Troupe errors only.
caf::error at_origin(caf::error err, const plugin_spec& spec) {
  if (!err || spec.origin.empty() || !is_troupe_error(err))
    return err;
  auto plugin = plugin_of(err).empty() ? spec.config.id : plugin_of(err);
  return make_error(static_cast<errc>(err.code()), plugin, spec.origin + ": " + detail_of(err));
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "\"" : ", \"") + n + "\"";
  return out.empty() ? "none" : out;
}

} // namespace

void kind_registry::add(kind_definition kind) {
  auto same = [&](const kind_definition& k) { return k.name == kind.name; };
  auto i = std::find_if(kinds_.begin(), kinds_.end(), same);
  if (i != kinds_.end())
    *i = std::move(kind);
  else
    kinds_.push_back(std::move(kind));
}

caf::expected<const kind_definition*> kind_registry::find(const std::string& name) const {
  for (const auto& k : kinds_)
    if (k.name == name)
      return &k;
  return make_error(errc::config_error, "",
                    "unknown plugin kind '" + name + "' (there are: " + joined(names()) + ")");
}

std::vector<std::string> kind_registry::names() const {
  std::vector<std::string> out;
  for (const auto& k : kinds_)
    out.push_back(k.name);
  return out;
}

std::string kind_registry::select(const std::vector<std::string>& keys) const {
  for (const auto& k : kinds_)
    if (!k.selecting_key.empty()
        && std::find(keys.begin(), keys.end(), k.selecting_key) != keys.end())
      return k.name;
  return default_;
}

caf::error kind_registry::check(const plugin_spec& spec) const {
  const auto& id = spec.config.id;
  auto kind = find(spec.kind);
  if (!kind)
    return at_origin(make_error(errc::config_error, id, detail_of(kind.error())), spec);
  for (const auto& key : (*kind)->keys)
    if (key.required && spec.key(key.name).empty())
      return at_origin(make_error(errc::config_error, id,
                                  "kind \"" + spec.kind + "\" needs '" + key.name + "'"),
                       spec);
  if ((*kind)->check)
    if (auto err = (*kind)->check(spec))
      return at_origin(make_error(errc::config_error, id, detail_of(err)), spec);
  return {};
}

caf::expected<plugin_factory> kind_registry::make_factory(const plugin_spec& spec,
                                                          const kind_context& ctx) const {
  auto kind = find(spec.kind);
  if (!kind)
    return at_origin(make_error(errc::config_error, spec.config.id, detail_of(kind.error())),
                     spec);
  auto factory = (*kind)->make_factory(spec, ctx);
  if (!factory)
    return at_origin(std::move(factory.error()), spec);
  return factory;
}

const kind_definition* kind_registry::watching(const std::string& path) const {
  for (const auto& k : kinds_)
    for (const auto& pattern : k.watch_patterns)
      if (file_matches(path, pattern))
        return &k;
  return nullptr;
}

caf::expected<plugin_spec> kind_registry::spec_for_file(const std::string& path) const {
  const auto* kind = watching(path);
  if (kind == nullptr || !kind->spec_for_file)
    return make_error(errc::not_found, "",
                      "no plugin kind makes a plugin from the file '" + path + "' (patterns: "
                        + joined(watch_patterns()) + ")");
  auto spec = kind->spec_for_file(path);
  spec.kind = kind->name;
  return spec;
}

std::vector<std::string> kind_registry::watch_patterns() const {
  std::vector<std::string> out;
  for (const auto& k : kinds_)
    out.insert(out.end(), k.watch_patterns.begin(), k.watch_patterns.end());
  return out;
}

bool file_matches(const std::string& path, const std::string& pattern) {
  auto name = std::filesystem::path(path).filename().string();
  if (name.empty() || name[0] == '.')
    return false;
  return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

} // namespace troupe
