#include "plugins/builtin/register_builtins.hpp"

namespace troupe::builtin {

void register_builtins(native_registry& registry) {
  (void)registry;
}

} // namespace troupe::builtin
