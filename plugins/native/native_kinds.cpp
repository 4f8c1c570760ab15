#include "plugins/native/native_kinds.hpp"

#include "messages/errors.hpp"
#include "plugins/native/library_loader.hpp"
#include "plugins/native/library_search.hpp"
#include "plugins/native/registry.hpp"

namespace troupe {

kind_definition native_kind() {
  kind_definition k;
  k.name = "native";
  k.keys = {{"class", key_type::text, false, {}}};
  k.make_factory = [](const plugin_spec& spec,
                      const kind_context& ctx) -> caf::expected<plugin_factory> {
    auto class_name = spec.key("class").empty() ? spec.config.id : spec.key("class");
    if (!ctx.natives)
      return make_error(errc::not_found, spec.config.id,
                        "no compiled-in plugin class '" + class_name + "' (known: none)");
    return ctx.natives->find(class_name, spec.config.id);
  };
  return k;
}

kind_definition library_kind() {
  kind_definition k;
  k.name = "library";
  k.keys = {{"library", key_type::text, true, {}}};
  k.selecting_key = "library";
  k.file_key = "library";
  k.make_factory = [](const plugin_spec& spec,
                      const kind_context&) -> caf::expected<plugin_factory> {
    auto path = resolve_library(spec);
    if (!path)
      return std::move(path.error());
    return library_plugin_factory(*path, spec.config.id);
  };
  return k;
}

} // namespace troupe
