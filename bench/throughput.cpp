// bench/throughput: pipelined execute throughput with 4 native echo plugins and 256 calls
// outstanding, by id (each id resolved once to its plugin's address), against the same driver
// on 4 bare CAF echo actors measured in the same run (the target is >= 0.7x).
// Usage: throughput [calls-per-round] [CAF options]

#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/runtime.hpp"
#include "bench/echo_runtime.hpp"
#include "bench/roundtrip_driver.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/registration.hpp"

namespace {

using namespace troupe;

constexpr std::size_t plugins = 4;
constexpr std::size_t outstanding = 256;

/// Keeps `outstanding` requests in flight, spread round robin by `send(self, i)`, until `n` are
/// answered; returns calls per second. Every answer must be a success.
template <class Send>
double calls_per_second(caf::actor_system& sys, std::size_t n, Send send) {
  std::promise<double> done;
  auto result = done.get_future();
  sys.spawn([&, n, send](caf::event_based_actor* self) {
    struct progress {
      std::size_t sent = 0;
      std::size_t answered = 0;
      std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    };
    auto p = std::make_shared<progress>();
    auto next = std::make_shared<std::function<void()>>();
    *next = [=, &done] {
      auto i = p->sent++;
      send(self, i).then(
        [=, &done](payload&) {
          if (++p->answered == n) {
            auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                                      - p->started).count();
            done.set_value(static_cast<double>(n) / secs);
            self->quit();
          } else if (p->sent < n) {
            (*next)();
          }
        },
        [](caf::error&) { std::abort(); });
    };
    for (std::size_t k = 0; k < outstanding && k < n; ++k)
      (*next)();
  });
  return result.get();
}

} // namespace

int main(int argc, char** argv) {
  std::size_t calls = argc > 1 ? std::stoul(argv[1]) : 400000;
  spdlog::set_level(spdlog::level::warn);
  caf::actor_system_config cfg;
  bench::configure(cfg, argc, argv, "throughput");
  caf::actor_system sys{cfg};
  runtime rt{sys};
  std::vector<std::string> ids;
  std::vector<bench::bare_echo_actor> floors;
  for (std::size_t i = 0; i < plugins; ++i) {
    ids.push_back("echo" + std::to_string(i));
    floors.push_back(sys.spawn(bench::bare_echo));
  }
  auto addresses = bench::start_echoes(rt, ids, "throughput"); // each resolved once
  auto input = pack(std::map<std::string, int>{{"agent", 1}, {"step", 3}});
  auto bare = [&](caf::event_based_actor* self, std::size_t i) {
    return self->request(floors[i % plugins], caf::infinite, execute_atom::value, input);
  };
  auto by_id = [&](caf::event_based_actor* self, std::size_t i) {
    return self->request(addresses[i % plugins], caf::infinite, execute_atom::value, input);
  };
  calls_per_second(sys, calls / 10, bare); // warm-up
  calls_per_second(sys, calls / 10, by_id);
  std::vector<double> floor_rate, plugin_rate;
  for (int round = 0; round < 5; ++round) {
    floor_rate.push_back(calls_per_second(sys, calls, bare));
    plugin_rate.push_back(calls_per_second(sys, calls, by_id));
  }
  auto f = bench::median(floor_rate);
  auto p = bench::median(plugin_rate);
  std::printf("%zu plugins, %zu calls outstanding, %zu calls per round, 5 rounds, medians\n",
              plugins, outstanding, calls);
  std::printf("4 bare CAF echo actors (floor):       %10.0f calls/s\n", f);
  std::printf("4 plugins, execute by id (resolved):  %10.0f calls/s  %5.2fx (target >= 0.70x)\n",
              p, p / f);
  for (auto& a : floors)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  return 0;
}
