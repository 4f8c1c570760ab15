#include "plugins/lua/lua_kind.hpp"

#include "messages/errors.hpp"
#include "plugins/api/file_kind.hpp"
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
  auto k = file_kind("lua", "script", "*.lua", script_plugin_id,
                     limits_check([](const std::map<std::string, std::string>& settings) {
                       return limits_from_settings(settings);
                     }));
  // No script key: the plugin reads its "script" setting at load (see lua_plugin).
  k.make_factory = [](const plugin_spec& spec,
                      const kind_context&) -> caf::expected<plugin_factory> {
    return lua_plugin::factory({spec.key("script"), {}});
  };
  k.validate = validate;
  return k;
}

} // namespace troupe::lua
