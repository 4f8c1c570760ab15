#include "plugins/lua/lua_kind.hpp"

#include "messages/errors.hpp"
#include "plugins/lua/lua_plugin.hpp"
#include "plugins/lua/sandbox_limits.hpp"
#include "plugins/lua/script_validator.hpp"

namespace troupe::lua {

namespace {

std::vector<source_problem> validate(const std::string& text) {
  std::vector<source_problem> out;
  for (auto& p : validate_script(text))
    out.push_back({p.line, std::move(p.message), p.warning});
  return out;
}

} // namespace

kind_definition lua_kind() {
  kind_definition k;
  k.name = "lua";
  k.keys = {{"script", key_type::path, true, {}}, {"limits", key_type::table, false, "limit."}};
  k.selecting_key = "script";
  k.file_key = "script";
  k.watch_patterns = {"*.lua"};
  // No script key: the plugin reads its "script" setting at load (see lua_plugin).
  k.make_factory = [](const plugin_spec& spec,
                      const kind_context&) -> caf::expected<plugin_factory> {
    return lua_plugin::factory({spec.key("script"), {}});
  };
  k.check = [](const plugin_spec& spec) -> caf::error {
    auto limits = limits_from_settings(spec.config.settings);
    return limits ? caf::error{} : std::move(limits.error());
  };
  k.validate = validate;
  k.spec_for_file = [](const std::string& path) {
    plugin_spec spec;
    spec.config.id = script_plugin_id(path);
    spec.keys["script"] = path;
    return spec;
  };
  return k;
}

} // namespace troupe::lua
