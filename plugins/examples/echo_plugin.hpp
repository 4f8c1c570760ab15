#pragma once
// "echo": answers every execute with its input, unchanged. The smallest useful plugin, and the
// one the benchmarks use to measure the cost of the plugin actor itself.

#include "plugins/api/plugin.hpp"

namespace troupe::examples {

/// Returns its input. Stateless; always healthy.
class echo_plugin final : public plugin {
public:
  plugin_metadata metadata() const override;
  caf::expected<payload> execute(plugin_context& ctx, const payload& input) override;
};

} // namespace troupe::examples
