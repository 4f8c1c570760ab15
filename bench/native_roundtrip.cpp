// bench/native_roundtrip: a native plugin's execute round trip through its plugin actor against
// the floor, a bare CAF typed actor answering the same message with the same payload.
// Prints both means and their ratio (the target is <= 1.2x). Usage: native_roundtrip [calls]

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/plugin_host.hpp"
#include "bench/roundtrip_driver.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/registration.hpp"
#include "plugins/examples/echo_plugin.hpp"

int main(int argc, char** argv) {
  std::size_t calls = argc > 1 ? std::stoul(argv[1]) : 200000;
  spdlog::set_level(spdlog::level::warn);
  caf::actor_system_config cfg;
  troupe::register_types(cfg);
  caf::actor_system sys{cfg};

  auto input = troupe::pack(std::map<std::string, int>{{"agent", 1}, {"step", 3}});
  auto floor = sys.spawn(troupe::bench::bare_echo);
  auto host = troupe::spawn_plugin_host(sys, "echo",
                                        std::make_unique<troupe::examples::echo_plugin>(),
                                        std::make_shared<troupe::shared_state>());
  using namespace troupe::bench;
  caf::scoped_actor self{sys};
  self->request(host, caf::infinite, troupe::load_atom::value, troupe::plugin_config{"echo", {}, {}}).receive(
      [](troupe::plugin_state&) {}, [](caf::error&) { std::abort(); });
  self->request(host, caf::infinite, troupe::init_atom::value).receive(
    [](troupe::plugin_state&) {}, [](caf::error&) { std::abort(); });
  self->request(host, caf::infinite, troupe::start_atom::value).receive(
    [](troupe::plugin_state&) {}, [](caf::error&) { std::abort(); });

  // Warm up both paths, then alternate rounds so that drift hits both alike.
  mean_roundtrip_ns(sys, floor, calls / 10, troupe::execute_atom::value, input);
  mean_roundtrip_ns(sys, host, calls / 10, troupe::execute_atom::value, input);
  std::vector<double> bare, plugin;
  for (int round = 0; round < 7; ++round) {
    bare.push_back(mean_roundtrip_ns(sys, floor, calls, troupe::execute_atom::value, input));
    plugin.push_back(mean_roundtrip_ns(sys, host, calls, troupe::execute_atom::value, input));
  }
  auto b = median(bare);
  auto p = median(plugin);
  std::printf("calls per round:              %zu (7 rounds, medians)\n", calls);
  std::printf("bare CAF round trip (floor):  %8.1f ns\n", b);
  std::printf("native plugin round trip:     %8.1f ns\n", p);
  std::printf("ratio plugin / floor:         %8.2fx (target <= 1.20x)\n", p / b);
  caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(floor, caf::exit_reason::user_shutdown);
  return 0;
}
