#include "plugins/examples/register_examples.hpp"

#include "plugins/examples/echo_plugin.hpp"
#include "plugins/examples/kv_store_plugin.hpp"

namespace troupe::examples {

void register_examples(native_registry& registry) {
  registry.add<echo_plugin>("echo");
  registry.add<kv_store_plugin>("kv_store");
}

} // namespace troupe::examples
