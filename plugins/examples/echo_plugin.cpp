#include "plugins/examples/echo_plugin.hpp"

namespace troupe::examples {

plugin_metadata echo_plugin::metadata() const {
  plugin_metadata m;
  m.id = "echo";
  m.name = "Echo";
  m.version = "1.0.0";
  m.description = "Answers every request with its input";
  m.type = {plugin_kind::tool, {}};
  m.capabilities = {"echo"};
  return m;
}

caf::expected<payload> echo_plugin::execute(plugin_context&, const payload& input) {
  return input;
}

} // namespace troupe::examples
