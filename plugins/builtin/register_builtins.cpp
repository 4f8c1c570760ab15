#include "plugins/builtin/register_builtins.hpp"

#include "plugins/builtin/llm/llm_plugin.hpp"
#include "plugins/builtin/memory/memory_plugin.hpp"
#include "plugins/builtin/monitor/monitor_plugin.hpp"

namespace troupe::builtin {

void register_builtins(native_registry& registry) {
  registry.add<llm_plugin>("llm");
  registry.add<memory_plugin>("memory");
  registry.add<monitor_plugin>("monitor");
}

} // namespace troupe::builtin
