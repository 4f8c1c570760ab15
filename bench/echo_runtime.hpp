#pragma once
// Shared by the call-path benches: an actor system configured from the command line (CAF options
// after the bench's own first argument) and a runtime serving native echo plugins.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>

#include "actors/runtime.hpp"
#include "messages/registration.hpp"

namespace troupe::bench {

/// The plugin under test: answers its input.
class echo_plugin final : public plugin {
public:
  plugin_metadata metadata() const override {
    plugin_metadata md;
    md.name = "echo";
    md.version = "1.0.0";
    return md;
  }
  caf::expected<payload> execute(plugin_context&, const payload& in) override { return in; }
};

/// Troupe's types registered, and argv[2...] parsed as CAF options (for example
/// --work-stealing.moderate-poll-attempts=0); a bad option prints why and exits 2.
inline void configure(caf::actor_system_config& cfg, int argc, char** argv, const char* bench) {
  register_types(cfg);
  if (argc > 2) {
    if (auto err = cfg.parse(argc - 1, argv + 1)) {
      std::fprintf(stderr, "%s: %s\n", bench, cfg.render(err).c_str());
      std::exit(2);
    }
  }
}

/// Adds a supervised echo plugin for each id and starts them all; answers their addresses, each
/// resolved once as an agent system does. Exits 1 if any of that fails.
inline std::vector<plugin_actor> start_echoes(runtime& rt, const std::vector<std::string>& ids,
                                              const char* bench) {
  for (const auto& id : ids) {
    auto md = rt.add(plugin_config{id, {}, {}}, []() -> caf::expected<std::unique_ptr<plugin>> {
      return std::make_unique<echo_plugin>();
    });
    if (!md) {
      std::fprintf(stderr, "%s: cannot add '%s'\n", bench, id.c_str());
      std::exit(1);
    }
  }
  if (!rt.start_all()) {
    std::fprintf(stderr, "%s: cannot start the echo plugins\n", bench);
    std::exit(1);
  }
  std::vector<plugin_actor> addresses;
  for (const auto& id : ids) {
    auto address = rt.resolve(id);
    if (!address) {
      std::fprintf(stderr, "%s: cannot resolve '%s'\n", bench, id.c_str());
      std::exit(1);
    }
    addresses.push_back(*address);
  }
  return addresses;
}

} // namespace troupe::bench
