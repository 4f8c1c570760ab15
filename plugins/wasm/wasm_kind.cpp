#include "plugins/wasm/wasm_kind.hpp"

#include "plugins/wasm/module_check.hpp"
#include "plugins/wasm/wasm_limits.hpp"
#include "plugins/wasm/wasm_plugin.hpp"

namespace troupe::wasm {

namespace {

std::vector<source_problem> validate(const std::string& text) {
  std::vector<std::uint8_t> bytes(text.begin(), text.end());
  std::vector<source_problem> out;
  module_limits defaults;
  if (defaults.module_bytes != 0 && bytes.size() > defaults.module_bytes)
    out.push_back({0, "module size " + std::to_string(bytes.size())
                        + " bytes is over the default module_size limit", true});
  for (auto& p : check_module(bytes, defaults.memory_pages))
    out.push_back({0, std::move(p.message), p.warning});
  return out;
}

} // namespace

kind_definition wasm_kind() {
  kind_definition k;
  k.name = "wasm";
  k.keys = {{"module", key_type::path, true, {}}, {"limits", key_type::table, false, "limit."}};
  k.selecting_key = "module";
  k.file_key = "module";
  k.watch_patterns = {"*.wasm"};
  k.make_factory = [](const plugin_spec& spec,
                      const kind_context&) -> caf::expected<plugin_factory> {
    return wasm_plugin::factory(spec.key("module"));
  };
  k.check = [](const plugin_spec& spec) -> caf::error {
    auto limits = limits_from_settings(spec.config.settings);
    return limits ? caf::error{} : std::move(limits.error());
  };
  k.validate = validate;
  k.spec_for_file = [](const std::string& path) {
    plugin_spec spec;
    spec.config.id = module_plugin_id(path);
    spec.keys["module"] = path;
    return spec;
  };
  return k;
}

} // namespace troupe::wasm
