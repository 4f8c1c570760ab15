// bench/wasm_bench: WebAssembly plugins measured against native and Lua ones in the same run.
//   1. execute round trip through a plugin's actor: bare CAF round trip (the floor), a native
//      echo, a Lua echo, a WebAssembly echo (echo_c.wasm, metered); plus the WebAssembly call
//      alone (no actor), metered and not, to show what the interpreter and the fuel meter cost
//   2. a compute-heavy call, FNV-1a 64 over 1 MiB: native C++, Lua (a plugin, no actor),
//      WebAssembly (hash.wasm from C, no actor), metered and not
//   3. what a new instance costs (read, rewrite, instantiate, init, start): a first load, and a
//      restart from the plugin's factory, whose metering cache skips the rewrite
// "Not metered" is the same module instantiated by libwabt as it is, without Troupe's rewrite:
// the difference is what fuel and wall-time metering add.
// Usage: wasm_bench [calls]   (see docs/performance.md, "WebAssembly plugins")

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include "wabt/binary-reader.h"
#include "wabt/interp/binary-reader-interp.h"
#include "wabt/interp/interp.h"

#include "actors/plugin_host.hpp"
#include "bench/roundtrip_driver.hpp"
#include "bench/started_host.hpp"
#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/registration.hpp"
#include "plugins/examples/echo_plugin.hpp"
#include "plugins/lua/lua_plugin.hpp"
#include "plugins/wasm/wasm_module.hpp"
#include "plugins/api/plugin_context.hpp"
#include "plugins/wasm/wasm_plugin.hpp"

namespace {

using troupe::bench::median;
namespace wi = wabt::interp;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "wasm_bench: %s\n", what.c_str());
  std::exit(1);
}

std::vector<std::uint8_t> module_bytes(const std::string& name) {
  std::ifstream in(std::string(TROUPE_WASM_DIR) + "/" + name + ".wasm", std::ios::binary);
  if (!in)
    die("no " + name + ".wasm in " TROUPE_WASM_DIR " (build troupe_wasm_test_modules)");
  return {std::istreambuf_iterator<char>(in), {}};
}

const char* const lua_echo = "function execute(x) return x end\n";

const char* const lua_hash = R"(
function execute(data)
  local h = -3750763034362895579 -- 0xcbf29ce484222325
  local byte = string.byte
  for i = 1, #data do
    h = (h ~ byte(data, i)) * 1099511628211
  end
  return h
end
)";

/// A module instantiated by libwabt exactly as built: no metering, no memory cap.
struct raw_module {
  wi::Store store;
  wi::Instance::Ptr instance;
  wi::Func::Ptr alloc, execute;
  wi::Memory::Ptr memory;
  std::unique_ptr<wi::Thread> thread;

  explicit raw_module(const std::vector<std::uint8_t>& bytes) {
    wabt::Errors errors;
    wi::ModuleDesc desc;
    wabt::ReadBinaryOptions opts;
    if (wabt::Failed(wi::ReadBinaryInterp("raw", bytes.data(), bytes.size(), opts, &errors, &desc)))
      die("raw module");
    wi::RefVec imports;
    for (const auto& imp : desc.imports) {
      (void)imp;
      imports.push_back(wi::HostFunc::New(store, wi::FuncType{{}, {}},
                                          [](wi::Thread&, const wi::Values&, wi::Values&,
                                             wi::Trap::Ptr*) { return wabt::Result::Ok; })
                          .ref());
    }
    auto module = wi::Module::New(store, std::move(desc));
    wi::Trap::Ptr trap;
    instance = wi::Instance::Instantiate(store, module.ref(), imports, &trap);
    if (!instance)
      die("raw instantiate");
    const auto& types = module->export_types();
    for (std::size_t i = 0; i < types.size(); ++i) {
      if (types[i].name == "alloc")
        alloc = store.UnsafeGet<wi::Func>(instance->exports()[i]);
      else if (types[i].name == "execute")
        execute = store.UnsafeGet<wi::Func>(instance->exports()[i]);
      else if (types[i].name == "memory")
        memory = store.UnsafeGet<wi::Memory>(instance->exports()[i]);
    }
    thread = std::make_unique<wi::Thread>(store);
  }

  /// alloc, copy in, execute, copy out: the work wasm_module::execute does, minus the meter
  /// and the checks.
  troupe::payload call(const troupe::payload& input) {
    wi::Values out;
    wi::Trap::Ptr trap;
    auto len = static_cast<wi::u32>(input.bytes.size());
    if (wabt::Failed(alloc->Call(*thread, {wi::Value::Make(len)}, out, &trap)))
      die("raw alloc");
    auto ptr = out[0].Get<wi::u32>();
    std::copy(input.bytes.begin(), input.bytes.end(), memory->UnsafeData() + ptr);
    wi::Values result;
    if (wabt::Failed(execute->Call(*thread, {wi::Value::Make(ptr), wi::Value::Make(len)}, result,
                                   &trap)))
      die("raw execute");
    auto packed = result[0].Get<wi::u64>();
    const auto* data = memory->UnsafeData() + (packed >> 32);
    return troupe::payload{std::vector<std::uint8_t>(data, data + (packed & 0xffffffffu))};
  }
};

/// Median over 7 rounds of the mean ns of `calls` calls of `fn`.
template <class Fn>
double timed_ns(std::size_t calls, Fn fn) {
  std::vector<double> rounds;
  for (int round = 0; round < 7; ++round) {
    auto started = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < calls; ++i)
      fn();
    auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - started);
    rounds.push_back(ns.count() / static_cast<double>(calls));
  }
  return median(rounds);
}

void roundtrip(caf::actor_system& sys, std::size_t calls) {
  using namespace troupe::bench;
  auto input = troupe::pack(std::map<std::string, int>{{"agent", 1}, {"step", 3}});
  auto floor = sys.spawn(bare_echo);
  auto native = start_host(sys, "native", std::make_unique<troupe::examples::echo_plugin>());
  auto lua = start_host(sys, "lua", std::make_unique<troupe::lua::lua_plugin>(
                                      troupe::lua::script_source{"echo.lua", lua_echo}));
  auto wasm = start_host(sys, "wasm", std::make_unique<troupe::wasm::wasm_plugin>(
                                        std::string(TROUPE_WASM_DIR) + "/echo_c.wasm"));
  std::vector<double> caf_rt, native_rt, lua_rt, wasm_rt;
  for (int round = 0; round < 7; ++round) {
    caf_rt.push_back(mean_roundtrip_ns(sys, floor, calls, troupe::execute_atom::value, input));
    native_rt.push_back(mean_roundtrip_ns(sys, native, calls, troupe::execute_atom::value, input));
    lua_rt.push_back(mean_roundtrip_ns(sys, lua, calls, troupe::execute_atom::value, input));
    wasm_rt.push_back(mean_roundtrip_ns(sys, wasm, calls, troupe::execute_atom::value, input));
  }
  auto bytes = module_bytes("echo_c");
  auto metered = troupe::wasm::wasm_module::load("echo", "echo_c.wasm", bytes);
  if (!metered)
    die(troupe::describe(metered.error()));
  raw_module raw{bytes};
  auto m_ns = timed_ns(calls, [&] { (void)(*metered)->execute(input); });
  auto r_ns = timed_ns(calls, [&] { (void)raw.call(input); });
  auto snap_ns = timed_ns(calls / 10, [&] { (void)(*metered)->snapshot(); });
  auto snap_bytes = (*metered)->snapshot()->bytes.size();
  auto c = median(caf_rt);
  std::printf("== execute round trip, echo of a small map (%zu calls per round, 7 rounds, medians)\n",
              calls);
  std::printf("bare CAF round trip:              %8.1f ns\n", c);
  std::printf("native echo plugin round trip:    %8.1f ns  %5.2fx CAF\n", median(native_rt),
              median(native_rt) / c);
  std::printf("Lua echo plugin round trip:       %8.1f ns  %5.2fx CAF\n", median(lua_rt),
              median(lua_rt) / c);
  std::printf("WebAssembly echo round trip:      %8.1f ns  %5.2fx CAF\n", median(wasm_rt),
              median(wasm_rt) / c);
  std::printf("WebAssembly call alone, metered:  %8.1f ns\n", m_ns);
  std::printf("WebAssembly call alone, raw:      %8.1f ns  (metering adds %.1f ns)\n", r_ns,
              m_ns - r_ns);
  std::printf("its checkpoint (memory + globals): %8.1f ns  (%zu bytes)\n", snap_ns, snap_bytes);
  for (auto* h : {&native, &lua, &wasm})
    caf::anon_send_exit(*h, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(floor, caf::exit_reason::user_shutdown);
}

std::uint64_t native_fnv(const std::string& data) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : data)
    h = (h ^ c) * 0x100000001b3ull;
  return h;
}

void hash(std::size_t rounds_of_calls) {
  std::string data(1 << 20, '\0');
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>(i * 31 + 7);
  auto input = troupe::pack(msgpack::type::raw_ref(data.data(), static_cast<std::uint32_t>(data.size())));
  auto want = native_fnv(data);
  volatile std::uint64_t sink = 0;
  auto native_ns = timed_ns(rounds_of_calls, [&] { sink = sink + native_fnv(data); });

  troupe::lua::lua_plugin lua{troupe::lua::script_source{"hash.lua", lua_hash}};
  troupe::plugin_context ctx{troupe::plugin_config{"hash_lua", {}, {}},
                             std::make_shared<troupe::shared_state>()};
  if (auto err = lua.load(ctx); err || (err = lua.init(ctx)) || (err = lua.start(ctx)))
    die("lua: " + troupe::describe(err));
  auto lua_input = troupe::pack(data);
  auto lua_out = lua.execute(ctx, lua_input);
  if (!lua_out || static_cast<std::uint64_t>(*troupe::unpack_as<std::int64_t>(*lua_out)) != want)
    die("the Lua hash is wrong");
  auto lua_ns = timed_ns(rounds_of_calls, [&] { (void)lua.execute(ctx, lua_input); });

  auto bytes = module_bytes("hash");
  troupe::wasm::module_limits unlimited;
  unlimited.fuel = 0;
  unlimited.wall_time = {};
  auto metered = troupe::wasm::wasm_module::load("hash", "hash.wasm", bytes, unlimited);
  if (!metered)
    die(troupe::describe(metered.error()));
  auto out = (*metered)->execute(input);
  if (!out || *troupe::unpack_as<std::uint64_t>(*out) != want)
    die("the WebAssembly hash is wrong");
  auto fuel = (*metered)->counters()["fuel_last"];
  auto wasm_ns = timed_ns(rounds_of_calls, [&] { (void)(*metered)->execute(input); });
  raw_module raw{bytes};
  auto raw_ns = timed_ns(rounds_of_calls, [&] { (void)raw.call(input); });

  std::printf("== FNV-1a 64 over 1 MiB (%zu calls per round, 7 rounds, medians)\n", rounds_of_calls);
  std::printf("native C++:                       %8.2f ms\n", native_ns / 1e6);
  std::printf("Lua plugin (no actor):            %8.2f ms  %6.1fx native\n", lua_ns / 1e6,
              lua_ns / native_ns);
  std::printf("WebAssembly, metered (no actor):  %8.2f ms  %6.1fx native  (%lld fuel)\n",
              wasm_ns / 1e6, wasm_ns / native_ns, static_cast<long long>(fuel));
  std::printf("WebAssembly, raw (no actor):      %8.2f ms  %6.1fx native  (metering adds %.0f%%)\n",
              raw_ns / 1e6, raw_ns / native_ns, 100.0 * (wasm_ns - raw_ns) / raw_ns);
}

/// Mean us of making a started instance of module `name`: from a factory (its metering cache
/// warm, as for a restart) or afresh (a first load: read, rewrite, instantiate).
void instance_cost(const std::string& name, int n) {
  auto path = std::string(TROUPE_WASM_DIR) + "/" + name + ".wasm";
  auto factory = troupe::wasm::wasm_plugin::factory(path);
  auto make = [&](bool cached) {
    auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      auto p = cached ? std::move(*factory()) : std::make_unique<troupe::wasm::wasm_plugin>(path);
      troupe::plugin_context ctx{troupe::plugin_config{name, {}, {}},
                                 std::make_shared<troupe::shared_state>()};
      if (auto err = p->load(ctx); err || (err = p->init(ctx)) || (err = p->start(ctx)))
        die(name + ": " + troupe::describe(err));
    }
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started)
             .count() / n;
  };
  make(true);
  auto fresh = make(false);
  auto cached = make(true);
  std::printf("%-10s (%5zu bytes)  first load %8.1f us   restart (metering cached) %8.1f us\n",
              name.c_str(), module_bytes(name).size(), fresh, cached);
}

} // namespace

int main(int argc, char** argv) {
  std::size_t calls = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20000;
  spdlog::set_level(spdlog::level::warn);
  caf::actor_system_config cfg;
  troupe::register_types(cfg);
  // As a `troupe` node runs by default ([node] worker_idle = "wait"), like lua_bench.
  cfg.set("work-stealing.moderate-poll-attempts", std::size_t{0});
  caf::actor_system sys{cfg};
  roundtrip(sys, calls);
  hash(std::max<std::size_t>(calls / 4000, 3));
  std::printf("== a started instance (load, init, start; mean of 200, no actor)\n");
  for (const char* name : {"echo_c", "counter", "transform"})
    instance_cost(name, 200);
  return 0;
}
