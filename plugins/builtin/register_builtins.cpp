#include "plugins/builtin/register_builtins.hpp"

#include "plugins/builtin/llm/llm_plugin.hpp"

namespace troupe::builtin {

void register_builtins(native_registry& registry) {
  registry.add<llm_plugin>("llm");
}

} // namespace troupe::builtin
