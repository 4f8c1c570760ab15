// bench/hook_bench: what the agent hook pipeline (docs/hooks.md) costs per tool call, against
// floors measured in the same run:
//   - a bare CAF round trip (an actor answering its input);
//   - the bare call_tool of a Lua tool with no hook (manager -> the tool's host -> the caller);
//   - the same call with 1 and with 4 Lua hooks whose before_tool_call continues unchanged, and
//     with 1 hook that continues with new args (return "continue", args) before and after;
//   - with 1 WebAssembly hook (tests/wasm/modules/guard.c) before and after, keeping the call
//     (checkpoint = "off", as a hook's state rarely needs to survive a crash).
// Each figure is a mean round trip from an event-based actor (the next call leaves when the
// answer arrives), the median of 7 rounds. Usage: hook_bench [calls per round] (default 20000);
// HOOK_BENCH_THREADS=N sets the scheduler's threads (default 2).

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <spdlog/spdlog.h>

#include "actors/runtime.hpp"
#include "bench/roundtrip_driver.hpp"
#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/registration.hpp"
#include "plugins/api/plugin_spec.hpp"

namespace {

using troupe::bench::median;

const char* const tool_script = R"(
tools = { { name = "noop", parameters = { type = "object" },
            handler = function(args) return args end } }
function execute(x) return x end
)";

const char* const keep_hook = R"(
function before_tool_call(tool, args, ctx) end
function execute(x) return x end
)";

const char* const replace_hook = R"(
function before_tool_call(tool, args, ctx) return "continue", args end
function after_tool_call(tool, args, result, ctx) return "continue", result end
function execute(x) return x end
)";

/// Scheduler threads: $HOOK_BENCH_THREADS, default 2 (the machine's cores).
std::size_t threads_from_env() {
  const char* v = std::getenv("HOOK_BENCH_THREADS");
  return v != nullptr ? std::strtoul(v, nullptr, 10) : 2;
}

struct bench_config : caf::actor_system_config {
  bench_config() {
    troupe::register_types(*this);
    set("scheduler.max-threads", threads_from_env());
  }
};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "hook_bench: %s\n", what.c_str());
  std::exit(1);
}

/// Writes `source` to DIR/ID.lua and adds it as Lua plugin `id`.
void add_script(troupe::runtime& rt, const std::filesystem::path& dir, const std::string& id,
                const char* source) {
  auto path = (dir / (id + ".lua")).string();
  std::ofstream(path) << source;
  troupe::plugin_config cfg;
  cfg.id = id;
  auto md = rt.add(troupe::plugin_spec{cfg, "lua", {{"script", path}}});
  if (!md)
    fail(troupe::describe(md.error()));
}

/// Loads, inits and starts plugin `id` (added after the others started).
void start_one(troupe::runtime& rt, const std::string& id) {
  for (auto op : {troupe::lifecycle_op::load, troupe::lifecycle_op::init, troupe::lifecycle_op::start})
    if (auto st = rt.step(op, id); !st)
      fail(troupe::describe(st.error()));
}

/// The median of 7 rounds of `calls` call_tool("noop", {x = 1}) round trips, in ns.
double tool_call_ns(caf::actor_system& sys, troupe::runtime& rt, std::size_t calls) {
  auto args = troupe::payload_from_json({{"x", 1}});
  std::string name = "noop";
  troupe::bench::mean_roundtrip_ns(sys, rt.manager(), calls / 10 + 1, troupe::call_tool_atom::value,
                                   name, args); // warm-up
  std::vector<double> rounds;
  for (int i = 0; i < 7; ++i)
    rounds.push_back(troupe::bench::mean_roundtrip_ns(sys, rt.manager(), calls,
                                                      troupe::call_tool_atom::value, name, args));
  return median(rounds);
}

double bare_caf_ns(caf::actor_system& sys, std::size_t calls) {
  auto echo = sys.spawn(troupe::bench::bare_echo);
  auto in = troupe::payload_from_json({{"x", 1}});
  std::vector<double> rounds;
  for (int i = 0; i < 7; ++i)
    rounds.push_back(troupe::bench::mean_roundtrip_ns(sys, echo, calls, troupe::execute_atom::value, in));
  caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
  return median(rounds);
}

} // namespace

int main(int argc, char** argv) {
  std::size_t calls = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20000;
  spdlog::set_level(spdlog::level::warn);
  bench_config cfg;
  caf::actor_system sys{cfg};
  auto dir = std::filesystem::temp_directory_path() / ("troupe-hook-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  double floor = bare_caf_ns(sys, calls);
  double hook_figures[5];
  {
    troupe::runtime rt{sys};
    add_script(rt, dir, "tools", tool_script);
    if (auto started = rt.start_all(); !started)
      fail(troupe::describe(started.error()));
    hook_figures[0] = tool_call_ns(sys, rt, calls);
    add_script(rt, dir, "hook1", keep_hook);
    start_one(rt, "hook1");
    hook_figures[1] = tool_call_ns(sys, rt, calls);
    for (const char* id : {"hook2", "hook3", "hook4"}) {
      add_script(rt, dir, id, keep_hook);
      start_one(rt, id);
    }
    if (auto chain = rt.hooks(); !chain || chain->size() != 4)
      fail("the four hooks are not in the pipeline");
    hook_figures[2] = tool_call_ns(sys, rt, calls);
    rt.shutdown_all();
  }
  {
    troupe::runtime rt{sys};
    add_script(rt, dir, "tools", tool_script);
    add_script(rt, dir, "changer", replace_hook);
    rt.start_all();
    hook_figures[3] = tool_call_ns(sys, rt, calls);
    rt.shutdown_all();
  }
  {
    troupe::runtime rt{sys};
    add_script(rt, dir, "tools", tool_script);
    troupe::plugin_config guard;
    guard.id = "guard";
    guard.settings["checkpoint"] = "off";
    if (auto md = rt.add(troupe::plugin_spec{guard, "wasm", {{"module", TROUPE_WASM_DIR "/guard.wasm"}}});
        !md)
      fail(troupe::describe(md.error()));
    rt.start_all();
    hook_figures[4] = tool_call_ns(sys, rt, calls);
    rt.shutdown_all();
  }
  std::filesystem::remove_all(dir);
  double bare = hook_figures[0];
  std::printf("== tool call through the hook pipeline (%zu calls per round, 7 rounds, medians)\n",
              calls);
  std::printf("bare CAF round trip:                    %9.1f ns\n", floor);
  std::printf("call_tool, no hook (floor):             %9.1f ns  (%.2fx bare CAF)\n", bare,
              bare / floor);
  std::printf("call_tool, 1 Lua hook (keep):           %9.1f ns  +%.1f ns per hook\n",
              hook_figures[1], hook_figures[1] - bare);
  std::printf("call_tool, 4 Lua hooks (keep):          %9.1f ns  +%.1f ns per hook\n",
              hook_figures[2], (hook_figures[2] - bare) / 4);
  std::printf("call_tool, 1 Lua hook before+after (continue with value): %9.1f ns  +%.1f ns per hook\n",
              hook_figures[3], (hook_figures[3] - bare) / 2);
  std::printf("call_tool, 1 WebAssembly hook before+after (guard.wasm, keep, checkpoint off): %9.1f ns  +%.1f ns per hook\n",
              hook_figures[4], (hook_figures[4] - bare) / 2);
  std::printf("target: <= 1000 ns per Lua hook\n");
  return 0;
}
