// bench/call_paths: one execute of a native echo by every path a caller has, each against the
// floor measured in the same run (a bare CAF request/response round trip between two actors):
//   actor -> plugin address (execute by id, resolved once)   the path agent systems use
//   actor -> manager (execute, id)         the manager hands it on (delegate): one more hop
//   blocking runtime.execute               plain code (main functions, the CLI)
//   blocking scoped_actor -> bare actor    CAF's own blocking floor
// Prints medians of 7 rounds and the ratios. Usage: call_paths [calls-per-round]

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/runtime.hpp"
#include "bench/echo_runtime.hpp"
#include "bench/roundtrip_driver.hpp"
#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/registration.hpp"

namespace {

using namespace troupe;

template <class F>
double mean_ns(std::size_t n, F&& call) {
  auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < n; ++i)
    call();
  auto took = std::chrono::steady_clock::now() - started;
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count())
         / static_cast<double>(n);
}

} // namespace

int main(int argc, char** argv) {
  std::size_t calls = argc > 1 ? std::stoul(argv[1]) : 100000;
  spdlog::set_level(spdlog::level::warn);
  caf::actor_system_config cfg;
  bench::configure(cfg, argc, argv, "call_paths");
  caf::actor_system sys{cfg};
  runtime rt{sys};
  auto address = bench::start_echoes(rt, {"echo"}, "call_paths").front();
  auto input = pack(std::map<std::string, int>{{"agent", 1}, {"step", 3}});
  auto floor = sys.spawn(bench::bare_echo);
  auto blocking_calls = calls / 10;
  caf::scoped_actor self{sys};
  std::vector<double> bare, by_id, via_manager, blocking, scoped;
  for (int round = 0; round < 8; ++round) {
    bare.push_back(bench::mean_roundtrip_ns(sys, floor, calls, execute_atom::value, input));
    by_id.push_back(bench::mean_roundtrip_ns(sys, address, calls, execute_atom::value, input));
    via_manager.push_back(bench::mean_roundtrip_ns(sys, rt.manager(), calls, execute_atom::value,
                                                   std::string("echo"), input));
    blocking.push_back(mean_ns(blocking_calls, [&] {
      if (!rt.execute("echo", input))
        std::abort();
    }));
    scoped.push_back(mean_ns(blocking_calls, [&] {
      self->request(floor, caf::infinite, execute_atom::value, input)
        .receive([](payload&) {}, [](caf::error&) { std::abort(); });
    }));
    if (round == 0) { // warm-up round
      bare.clear(), by_id.clear(), via_manager.clear(), blocking.clear(), scoped.clear();
    }
  }
  auto b = bench::median(bare);
  std::printf("calls per round: %zu (blocking: %zu); 7 rounds, medians\n", calls, blocking_calls);
  std::printf("%-44s %9.1f ns\n", "bare CAF round trip (floor)", b);
  auto row = [&](const char* what, double ns, const char* target) {
    std::printf("%-44s %9.1f ns  %6.2fx  %s\n", what, ns, ns / b, target);
  };
  row("execute by id, resolved once (actor)", bench::median(by_id), "(target <= 1.2x)");
  row("execute sent to the manager (delegated)", bench::median(via_manager), "(convenience)");
  row("blocking runtime.execute", bench::median(blocking), "(target <= 3x)");
  row("blocking scoped_actor -> bare actor", bench::median(scoped), "(CAF's blocking floor)");
  caf::anon_send_exit(floor, caf::exit_reason::user_shutdown);
  return 0;
}
