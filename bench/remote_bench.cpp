// bench/remote_bench: calls across processes over loopback, against bare CAF with the same
// transport settings (heartbeats, application id, scheduler) in the same run.
//
//   remote_bench serve-bare FILE   publishes a bare CAF echo actor; writes its port to FILE
//   remote_bench serve-node FILE   starts a Troupe node (native echo "echo", Lua "lua_echo":
//                                  return "ok:" .. input); writes its port to FILE
//   remote_bench client BARE_PORT NODE_PORT [N]
//     prints, each the median of 5 interleaved rounds of N sequential calls from an actor:
//       bare_caf_remote_rt_us      request/then to the bare actor's proxy
//       troupe_remote_rt_us        execute to the native plugin's address (looked up once)
//       troupe_remote_lua_rt_us    the same to the Lua plugin
//       troupe_blocking_remote_rt_us  client::execute (blocking API) through the node's manager
//     and pipelined throughput of the Lua plugin from one actor (calls/s):
//       troupe_remote_lua_pipelined_16, troupe_remote_lua_pipelined_256, bare_caf_pipelined_16
//     and through the cluster: a node of its own joins, and calls "lua_echo" by id through its
//     router, 16 or 256 in flight: troupe_cluster_lua_pipelined_16, ..._256
// bench/cluster_bench.sh runs the three processes and Redis's EVALSHA beside them.

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <spdlog/spdlog.h>

#include "actors/client.hpp"
#include "actors/plugin_directory.hpp"
#include "actors/runtime.hpp"
#include "bench/roundtrip_driver.hpp"
#include "cluster/transport.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/registration.hpp"
#include "node/node.hpp"
#include "plugins/examples/register_examples.hpp"
#include "plugins/kinds/standard_kinds.hpp"
#include "plugins/native/registry.hpp"

namespace {

using namespace troupe;
using troupe::bench::bare_echo_actor;

/// REMOTE_BENCH_SCHED=sharing: every process (bare, node, client) uses CAF's sharing scheduler
/// with one thread (the peers kit's "tuned" remote figure); default: a node's defaults.
bool sharing() {
  const char* s = std::getenv("REMOTE_BENCH_SCHED");
  return s != nullptr && std::string{s} == "sharing";
}

/// The settings of a node: Troupe's types, its transport, workers that wait instead of polling.
std::unique_ptr<caf::actor_system_config> node_like_config() {
  auto cfg = std::make_unique<caf::actor_system_config>();
  register_types(*cfg);
  configure_transport(*cfg, cluster_config{});
  cfg->add_message_type<bare_echo_actor>("bench::bare_echo_actor");
  cfg->set("work-stealing.moderate-poll-attempts", std::size_t{0});
  if (sharing()) {
    cfg->set("scheduler.policy", caf::atom("sharing"));
    cfg->set("scheduler.max-threads", std::size_t{1});
  }
  return cfg;
}

void write_port(const std::string& file, std::uint16_t port) {
  std::ofstream(file + ".tmp") << port << "\n";
  std::rename((file + ".tmp").c_str(), file.c_str());
}

/// Serves until stdin closes (the driver script holds it open).
void serve_until_stdin_closes() {
  std::string line;
  while (std::getline(std::cin, line)) {
  }
}

int serve_bare(const std::string& file) {
  auto cfg = node_like_config();
  caf::actor_system sys{*cfg};
  auto echo = sys.spawn(troupe::bench::bare_echo);
  auto port = sys.middleman().publish(echo, 0, "127.0.0.1", true);
  if (!port)
    return 1;
  write_port(file, *port);
  serve_until_stdin_closes();
  caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
  return 0;
}

int serve_node(const std::string& file) {
  std::string dir = "/tmp/remote_bench_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/lua_echo.lua") << "function execute(x) return 'ok:' .. x end\n";
  auto kinds = std::make_shared<const kind_registry>(standard_kinds());
  std::string sched = sharing() ? "scheduler_policy = \"sharing\"\nthreads = 1\n" : "";
  auto cfg = parse_node_config("[node]\nname = \"bench\"\nlog_level = \"warn\"\n" + sched +
                               "[cluster]\nlisten = \"127.0.0.1:0\"\n"
                               "[[plugins]]\nid = \"echo\"\nclass = \"echo\"\n"
                               "[[plugins]]\nid = \"lua_echo\"\nscript = \"lua_echo.lua\"\n",
                               dir + "/node.toml", *kinds);
  if (!cfg)
    return 1;
  node_options opts;
  opts.kinds = kinds;
  opts.natives = std::make_shared<native_registry>();
  examples::register_examples(*opts.natives);
  spdlog::set_level(spdlog::level::err);
  auto n = node::start(*cfg, opts);
  if (!n) {
    std::fprintf(stderr, "%s\n", describe(n.error()).c_str());
    return 1;
  }
  write_port(file, (*n)->port());
  serve_until_stdin_closes();
  n->reset();
  std::filesystem::remove_all(dir);
  return 0;
}

/// Keeps `window` requests in flight to `target` until `n` are answered; calls per second.
template <class Handle, class... Ts>
double pipelined(caf::actor_system& sys, Handle target, std::size_t n, std::size_t window,
                 Ts... request) {
  std::promise<double> done;
  auto result = done.get_future();
  sys.spawn([&, target, n, window](caf::event_based_actor* self) {
    auto sent = std::make_shared<std::size_t>(0);
    auto answered = std::make_shared<std::size_t>(0);
    auto started = std::chrono::steady_clock::now();
    auto next = std::make_shared<std::function<void()>>();
    *next = [=, &done] {
      ++*sent;
      self->request(target, caf::infinite, request...).then(
        [=, &done](payload&) {
          if (++*answered == n) {
            auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
            done.set_value(static_cast<double>(n) / secs.count());
            self->quit();
          } else if (*sent < n) {
            (*next)();
          }
        },
        [](caf::error&) { std::abort(); });
    };
    for (std::size_t k = 0; k < window && k < n; ++k)
      (*next)();
  });
  return result.get();
}

double blocking_rt_us(client& api, const payload& in, std::size_t n) {
  auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < n; ++i)
    if (!api.execute("echo", in))
      std::abort();
  auto us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started);
  return us.count() / static_cast<double>(n);
}

/// Pipelined calls by id through the cluster: a second node joins the serving one, and an actor
/// of it keeps 16, then 256, calls to "lua_echo" in flight through its router (which batches the
/// calls waiting for one replica). Calls per second for each; empty if the node cannot join.
std::vector<double> through_a_node(std::uint16_t node_port, std::size_t n) {
  auto kinds = std::make_shared<const kind_registry>(standard_kinds());
  std::string sched = sharing() ? "scheduler_policy = \"sharing\"\nthreads = 1\n" : "";
  auto cfg = parse_node_config("[node]\nname = \"client\"\nlog_level = \"warn\"\n" + sched
                                 + "[cluster]\nlisten = \"127.0.0.1:0\"\nseeds = [\"127.0.0.1:"
                                 + std::to_string(node_port) + "\"]\n",
                               "/tmp/remote_bench_client.toml", *kinds);
  node_options opts;
  opts.kinds = kinds;
  spdlog::set_level(spdlog::level::err);
  auto client_node = cfg ? node::start(*cfg, opts) : caf::expected<std::unique_ptr<node>>{cfg.error()};
  if (!client_node)
    return {};
  auto& nd = **client_node;
  auto directory = nd.runtime().directory();
  for (int i = 0; i < 200 && !directory->hosted_elsewhere("lua_echo"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds{10}); // a bench, not a test: joining
  auto router = directory->router();
  if (!router || !directory->hosted_elsewhere("lua_echo"))
    return {};
  auto hello = pack(std::string("hello"));
  std::vector<double> p16, p256;
  for (int round = 0; round < 3; ++round) {
    p16.push_back(pipelined(nd.system(), router, 20 * n, 16, execute_atom::value,
                            std::string{"lua_echo"}, hello));
    p256.push_back(pipelined(nd.system(), router, 20 * n, 256, execute_atom::value,
                             std::string{"lua_echo"}, hello));
  }
  return {troupe::bench::median(p16), troupe::bench::median(p256)};
}

int run_client(std::uint16_t bare_port, std::uint16_t node_port, std::size_t n) {
  auto cfg = node_like_config();
  caf::actor_system sys{*cfg};
  auto bare = sys.middleman().remote_actor<bare_echo_actor>("127.0.0.1", bare_port);
  auto manager = connect_manager(sys, "127.0.0.1", node_port, false, std::chrono::seconds{10});
  if (!bare || !manager) {
    std::fprintf(stderr, "cannot connect\n");
    return 1;
  }
  client api{sys, *manager};
  auto echo = api.resolve("echo");
  auto lua = api.resolve("lua_echo");
  if (!echo || !lua)
    return 1;
  auto in = pack(std::string(100, 'x')); // 100 bytes, as the peers' CAF remote figure
  std::vector<double> b, t, l, k;
  for (int round = 0; round < 5; ++round) {
    b.push_back(troupe::bench::mean_roundtrip_ns(sys, *bare, n, execute_atom::value, in) / 1e3);
    t.push_back(troupe::bench::mean_roundtrip_ns(sys, *echo, n, execute_atom::value, in) / 1e3);
    l.push_back(troupe::bench::mean_roundtrip_ns(sys, *lua, n, execute_atom::value, in) / 1e3);
    k.push_back(blocking_rt_us(api, in, n));
  }
  using troupe::bench::median;
  std::printf("bare_caf_remote_rt_us %.1f us\n", median(b));
  std::printf("troupe_remote_rt_us %.1f us\n", median(t));
  std::printf("troupe_remote_rt_ratio %.2f x\n", median(t) / median(b));
  std::printf("troupe_remote_lua_rt_us %.1f us\n", median(l));
  std::printf("troupe_blocking_remote_rt_us %.1f us\n", median(k));
  auto hello = pack(std::string("hello"));
  std::vector<double> p16, p256, b16;
  for (int round = 0; round < 3; ++round) {
    p16.push_back(pipelined(sys, *lua, 20 * n, 16, execute_atom::value, hello));
    p256.push_back(pipelined(sys, *lua, 20 * n, 256, execute_atom::value, hello));
    b16.push_back(pipelined(sys, *bare, 20 * n, 16, execute_atom::value, hello));
  }
  std::printf("troupe_remote_lua_pipelined_16 %.0f calls/s\n", median(p16));
  auto routed = through_a_node(node_port, n);
  if (!routed.empty()) {
    std::printf("troupe_cluster_lua_pipelined_16 %.0f calls/s\n", routed[0]);
    std::printf("troupe_cluster_lua_pipelined_256 %.0f calls/s\n", routed[1]);
  }
  std::printf("troupe_remote_lua_pipelined_256 %.0f calls/s\n", median(p256));
  std::printf("bare_caf_pipelined_16 %.0f calls/s\n", median(b16));
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "serve-bare" && argc == 3)
    return serve_bare(argv[2]);
  if (mode == "serve-node" && argc == 3)
    return serve_node(argv[2]);
  if (mode == "client" && argc >= 4)
    return run_client(static_cast<std::uint16_t>(std::stoi(argv[2])),
                      static_cast<std::uint16_t>(std::stoi(argv[3])),
                      argc > 4 ? std::stoul(argv[4]) : 5000);
  std::fprintf(stderr, "usage: remote_bench serve-bare FILE | serve-node FILE | "
                       "client BARE_PORT NODE_PORT [N]\n");
  return 2;
}
