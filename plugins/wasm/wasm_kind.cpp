#include "plugins/wasm/wasm_kind.hpp"

#include "plugins/api/file_kind.hpp"
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
  auto k = file_kind("wasm", "module", "*.wasm", module_plugin_id,
                     limits_check([](const std::map<std::string, std::string>& settings) {
                       return limits_from_settings(settings);
                     }));
  k.make_factory = [](const plugin_spec& spec,
                      const kind_context&) -> caf::expected<plugin_factory> {
    return wasm_plugin::factory(spec.key("module"));
  };
  k.validate = validate;
  return k;
}

} // namespace troupe::wasm
