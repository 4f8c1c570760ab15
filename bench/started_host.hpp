#pragma once
// Shared by the bench programs: a plugin host actor, loaded, initialised and started.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <caf/scoped_actor.hpp>

#include "actors/plugin_host.hpp"
#include "messages/errors.hpp"

namespace troupe::bench {

/// Spawns a host for `impl` as plugin `id` and takes it through load, init and start; prints
/// why and exits 1 if a step fails.
inline plugin_actor start_host(caf::actor_system& sys, const std::string& id,
                               std::unique_ptr<plugin> impl) {
  auto host = spawn_plugin_host(sys, id, std::move(impl), std::make_shared<shared_state>());
  caf::scoped_actor self{sys};
  auto step = [&](auto atom, auto... xs) {
    self->request(host, caf::infinite, atom, xs...).receive(
      [](plugin_state&) {},
      [&](caf::error& err) {
        std::fprintf(stderr, "%s: %s\n", id.c_str(), describe(err).c_str());
        std::exit(1);
      });
  };
  step(load_atom::value, plugin_config{id, {}, {}});
  step(init_atom::value);
  step(start_atom::value);
  return host;
}

} // namespace troupe::bench
