#include "plugins/native/registry.hpp"

#include "messages/errors.hpp"

namespace troupe {

void native_registry::add(const std::string& class_name, plugin_factory factory) {
  factories_[class_name] = std::move(factory);
}

caf::expected<plugin_factory> native_registry::find(const std::string& class_name,
                                                    const std::string& plugin_id) const {
  auto i = factories_.find(class_name);
  if (i != factories_.end())
    return i->second;
  std::string known;
  for (const auto& name : names())
    known += (known.empty() ? "" : ", ") + name;
  return make_error(errc::not_found, plugin_id,
                    "no compiled-in plugin class '" + class_name + "' (known: "
                      + (known.empty() ? "none" : known) + ")");
}

std::vector<std::string> native_registry::names() const {
  std::vector<std::string> result;
  for (const auto& entry : factories_)
    result.push_back(entry.first);
  return result;
}

} // namespace troupe
