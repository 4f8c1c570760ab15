// bench/lua_bench: Lua runtime plugins measured against floors taken in the same run.
//   1. execute round trip through a Lua plugin's actor vs (bare CAF round trip + bare lua_pcall
//      of the same function in a plain state); target <= 1.3x
//   2. a rule evaluation of scripts/rule_engine.lua through its actor (round trip, and the time
//      inside the actor from the plugin's stats)
//   3. json_parse of a 1 KB document inside a Lua plugin (target <= 5 us) vs RapidJSON's own
//      DOM parse of the same text
//   4. the rule evaluation again, straight through lua_plugin::begin_call in a tight loop (no
//      actor: the part of the host's stats mean that is the plugin's)
// Usage: lua_bench [calls]          (see docs/performance.md)
//        lua_bench --direct [calls] (part 4 alone, in a loop to profile with perf record)
//        lua_bench --json [calls]   (json_parse alone, without the actor, to profile)
//        lua_bench --step [calls]   (part 1's execute through begin_call, without the actor)
//        lua_bench --poll [calls]   (parts 1-3 with CAF's default idle polling instead of a
//                                    node's worker_idle = "wait")

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <lua.hpp>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include "actors/plugin_host.hpp"
#include "bench/roundtrip_driver.hpp"
#include "bench/started_host.hpp"
#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/registration.hpp"
#include "plugins/api/plugin_context.hpp"
#include "plugins/lua/lua_plugin.hpp"

namespace {

using troupe::bench::median;

const char* const step_script = R"(
plugin_name = "step"
function execute(input)
  return input.step + 1
end
)";

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "lua_bench: %s\n", what.c_str());
  std::exit(1);
}

/// Loads, inits and starts a Lua plugin host running `source` (or the file `path`).
troupe::plugin_actor start_lua(caf::actor_system& sys, const std::string& id,
                               troupe::lua::script_source source) {
  return troupe::bench::start_host(sys, id, std::make_unique<troupe::lua::lua_plugin>(source));
}

/// Mean ns of a bare lua_pcall of the script's execute with a prebuilt input table, in a
/// plain state with the standard libraries (no sandbox, no hook, no codec).
double bare_pcall_ns(std::size_t calls) {
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  if (luaL_dostring(L, step_script) != LUA_OK)
    die(lua_tostring(L, -1));
  lua_getglobal(L, "execute");
  int fn = lua_gettop(L);
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, 1);
  lua_setfield(L, -2, "agent");
  lua_pushinteger(L, 3);
  lua_setfield(L, -2, "step");
  int input = lua_gettop(L);
  lua_Integer sink = 0;
  auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < calls; ++i) {
    lua_pushvalue(L, fn);
    lua_pushvalue(L, input);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK)
      die(lua_tostring(L, -1));
    sink += lua_tointeger(L, -1);
    lua_pop(L, 1);
  }
  auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - started);
  lua_close(L);
  if (sink == 42)
    std::puts(""); // keeps the loop from being optimised away
  return ns.count() / static_cast<double>(calls);
}

void roundtrip(caf::actor_system& sys, std::size_t calls) {
  using namespace troupe::bench;
  auto input = troupe::pack(std::map<std::string, int>{{"agent", 1}, {"step", 3}});
  auto floor = sys.spawn(bare_echo);
  auto host = start_lua(sys, "step", {"step.lua", step_script});
  mean_roundtrip_ns(sys, floor, calls / 10, troupe::execute_atom::value, input);
  mean_roundtrip_ns(sys, host, calls / 10, troupe::execute_atom::value, input);
  bare_pcall_ns(calls / 10);
  std::vector<double> caf_rt, pcall, lua_rt;
  for (int round = 0; round < 7; ++round) {
    caf_rt.push_back(mean_roundtrip_ns(sys, floor, calls, troupe::execute_atom::value, input));
    pcall.push_back(bare_pcall_ns(calls));
    lua_rt.push_back(mean_roundtrip_ns(sys, host, calls, troupe::execute_atom::value, input));
  }
  auto c = median(caf_rt);
  auto p = median(pcall);
  auto l = median(lua_rt);
  std::printf("== execute round trip (%zu calls per round, 7 rounds, medians)\n", calls);
  std::printf("bare CAF round trip:            %8.1f ns\n", c);
  std::printf("bare lua_pcall of execute:      %8.1f ns\n", p);
  std::printf("floor (sum):                    %8.1f ns\n", c + p);
  std::printf("Lua plugin round trip:          %8.1f ns\n", l);
  std::printf("ratio plugin / floor:           %8.2fx (target <= 1.30x)\n", l / (c + p));
  caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(floor, caf::exit_reason::user_shutdown);
}

double stats_mean_us(caf::actor_system& sys, const troupe::plugin_actor& host) {
  caf::scoped_actor self{sys};
  double mean = 0;
  self->request(host, caf::infinite, troupe::stats_atom::value).receive(
    [&](troupe::plugin_stats& s) { mean = s.mean_us; }, [](caf::error&) {});
  return mean;
}

const char* const facts_json =
  R"({"customer": {"tier": "gold", "country": "DE", "age": 41}, "order": {"total": 1250, "items": 3}})";

/// Mean ns of execute(input) of `source` through lua_plugin::begin_call with no actor around it
/// (7 rounds, median).
double direct_execute_ns(troupe::lua::script_source source, const troupe::payload& input,
                         std::size_t calls) {
  troupe::lua::lua_plugin plugin{std::move(source)};
  troupe::plugin_context ctx{troupe::plugin_config{"direct", {}, {}},
                             std::make_shared<troupe::shared_state>()};
  if (auto err = plugin.load(ctx); err || (err = plugin.init(ctx)) || (err = plugin.start(ctx)))
    die("direct: " + troupe::describe(err));
  troupe::invocation inv{troupe::invocation::kind::execute, {}, input};
  std::vector<double> ns;
  for (int round = 0; round < 7; ++round) {
    auto started = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < calls; ++i)
      if (auto step = plugin.begin_call(ctx, inv); !step.result)
        die("direct: " + troupe::describe(step.result.error()));
    auto elapsed = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - started);
    ns.push_back(elapsed.count() / static_cast<double>(calls));
  }
  return median(ns);
}

/// Mean ns of a rule evaluation through lua_plugin::begin_call with no actor around it (7
/// rounds, median), or -1 without scripts/rule_engine.lua.
double direct_rules_ns(std::size_t calls) {
  if (!std::ifstream(TROUPE_SCRIPTS_DIR "/rule_engine.lua"))
    return -1;
  return direct_execute_ns({TROUPE_SCRIPTS_DIR "/rule_engine.lua", {}},
                           *troupe::payload_from_json_text(facts_json), calls);
}

void rules(caf::actor_system& sys, std::size_t calls) {
  using namespace troupe::bench;
  auto facts = troupe::payload_from_json_text(facts_json);
  if (!facts)
    die("facts");
  if (!std::ifstream(TROUPE_SCRIPTS_DIR "/rule_engine.lua")) {
    std::printf("== rule evaluation: skipped, no scripts/rule_engine.lua\n");
    return;
  }
  auto host = start_lua(sys, "rules", {TROUPE_SCRIPTS_DIR "/rule_engine.lua", {}});
  caf::scoped_actor self{sys};
  self->request(host, caf::infinite, troupe::execute_atom::value, *facts).receive(
    [](troupe::payload& out) {
      auto json = troupe::payload_to_json(out);
      std::printf("== rule evaluation (scripts/rule_engine.lua)\nsample result: %s\n",
                  json ? json->dump().c_str() : "?");
    },
    [](caf::error& err) { die("rule_engine: " + troupe::describe(err)); });
  mean_roundtrip_ns(sys, host, calls / 10, troupe::execute_atom::value, *facts);
  std::vector<double> rt;
  for (int round = 0; round < 5; ++round)
    rt.push_back(mean_roundtrip_ns(sys, host, calls, troupe::execute_atom::value, *facts));
  std::printf("round trip through the actor:   %8.1f ns\n", median(rt));
  std::printf("inside the actor (stats mean):  %8.1f ns (target <= 1000 ns)\n",
              stats_mean_us(sys, host) * 1000.0);
  std::printf("begin_call without the actor:   %8.1f ns\n", direct_rules_ns(calls));
  caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
}

/// A 1 KB document: an array of small records, as an agent's tool result might be.
std::string json_document() {
  std::string doc = "{\"items\":[";
  for (int i = 0; doc.size() < 1000; ++i)
    doc += (i ? "," : "") + std::string("{\"id\":") + std::to_string(i)
           + ",\"name\":\"item " + std::to_string(i) + "\",\"price\":" + std::to_string(i * 1.25)
           + ",\"ok\":true}";
  return doc + "]}";
}

const char* const json_script = R"(
function execute(input) return 0 end
function parse_many(text, n)
  local started = now()  -- wall-clock ms; os.clock would count every thread of the process
  for i = 1, n do json_parse(text) end
  return (now() - started) / n * 1e6
end
)";

/// The floor for json_parse: RapidJSON's own DOM parse of the same text (no Lua), mean ns.
double rapidjson_dom_ns(const std::string& doc, std::size_t n) {
  auto started = std::chrono::steady_clock::now();
  std::size_t members = 0;
  for (std::size_t i = 0; i < n; ++i) {
    rapidjson::Document d;
    d.Parse<rapidjson::kParseFullPrecisionFlag>(doc.data(), doc.size());
    members += d.MemberCount();
  }
  auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - started);
  if (members == 42)
    std::puts("");
  return ns.count() / static_cast<double>(n);
}

/// json_parse straight through lua_plugin (no actor): `calls` parses in one function call.
void direct_json(std::size_t calls) {
  troupe::lua::lua_plugin plugin{{"json.lua", json_script}};
  troupe::plugin_context ctx{troupe::plugin_config{"json", {}, {}},
                             std::make_shared<troupe::shared_state>()};
  if (auto err = plugin.load(ctx); err || (err = plugin.init(ctx)) || (err = plugin.start(ctx)))
    die("json: " + troupe::describe(err));
  troupe::invocation inv{troupe::invocation::kind::function, "parse_many",
                         troupe::pack(std::make_tuple(json_document(), calls))};
  auto step = plugin.begin_call(ctx, inv);
  if (!step.result)
    die("json: " + troupe::describe(step.result.error()));
  std::printf("json_parse without the actor:   %8.1f ns\n", *troupe::unpack_as<double>(*step.result));
}

void json_parse(caf::actor_system& sys) {
  auto doc = json_document();
  const char* script = json_script;
  auto host = start_lua(sys, "json", {"json.lua", script});
  caf::scoped_actor self{sys};
  std::vector<double> ns;
  for (int round = 0; round < 5; ++round)
    self->request(host, caf::infinite, troupe::function_atom::value, std::string("parse_many"),
                  troupe::pack(std::make_tuple(doc, 20000)))
      .receive([&](troupe::payload& out) { ns.push_back(*troupe::unpack_as<double>(out)); },
               [](caf::error& err) { die("json: " + troupe::describe(err)); });
  std::printf("== json_parse inside a Lua plugin\ndocument: %zu bytes\n", doc.size());
  std::vector<double> floor;
  for (int round = 0; round < 5; ++round)
    floor.push_back(rapidjson_dom_ns(doc, 20000));
  std::printf("RapidJSON DOM parse (floor):    %8.1f ns\n", median(floor));
  std::printf("json_parse:                     %8.1f ns (target <= 5000 ns)\n", median(ns));
  std::printf("ratio json_parse / floor:       %8.2fx\n", median(ns) / median(floor));
  caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
}

} // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 && argv[1][0] == '-' ? argv[1] : "";
  bool direct = mode == "--direct";
  int first = mode.empty() ? 1 : 2;
  std::size_t calls = argc > first ? std::stoul(argv[first]) : 200000;
  spdlog::set_level(spdlog::level::warn);
  if (direct) {
    std::printf("begin_call without the actor:   %8.1f ns\n", direct_rules_ns(calls));
    return 0;
  }
  if (mode == "--step") {
    auto input = troupe::pack(std::map<std::string, int>{{"agent", 1}, {"step", 3}});
    std::printf("step execute without the actor: %8.1f ns\n",
                direct_execute_ns({"step.lua", step_script}, input, calls));
    return 0;
  }
  if (mode == "--json") {
    direct_json(calls);
    return 0;
  }
  caf::actor_system_config cfg;
  troupe::register_types(cfg);
  // As a `troupe` node runs by default ([node] worker_idle = "wait"): idle workers wait instead of
  // waking every 50 us to look for work, which on 2 cores takes time from the busy one.
  // `--poll` keeps CAF's default.
  if (mode != "--poll")
    cfg.set("work-stealing.moderate-poll-attempts", std::size_t{0});
  caf::actor_system sys{cfg};
  roundtrip(sys, calls);
  rules(sys, calls);
  json_parse(sys);
  return 0;
}
