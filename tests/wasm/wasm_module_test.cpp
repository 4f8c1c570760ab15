// wasm_module (plugins/wasm): modules built in the build from .wat (wat2wasm) and from C (clang
// --target=wasm32) loaded, checked against the plugin ABI, metered and executed with msgpack
// payloads; the hostile set answered with limit_exceeded or plugin_failed, after which the module
// serves its next call.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/wasm/module_metadata.hpp"
#include "plugins/wasm/metering.hpp"
#include "plugins/wasm/wasm_module.hpp"
#include "wasm_test_modules.hpp"

namespace troupe::wasm {
namespace {

using test::module_bytes;

std::unique_ptr<wasm_module> load_ok(const std::string& name, module_limits limits = {}) {
  auto m = wasm_module::load(name, name + ".wasm", module_bytes(name), limits);
  EXPECT_TRUE(m) << describe(m.error());
  return m ? std::move(*m) : nullptr;
}

/// The hostile module's answer to selector `sel`.
caf::expected<payload> provoke(wasm_module& m, std::uint8_t sel) {
  return m.execute(payload{{sel}});
}

void expect_error(const caf::expected<payload>& out, errc code, const std::string& part) {
  ASSERT_FALSE(out) << "expected " << to_string(code) << " mentioning '" << part << "'";
  EXPECT_EQ(code_name(out.error()), to_string(code)) << describe(out.error());
  EXPECT_NE(describe(out.error()).find(part), std::string::npos) << describe(out.error());
}

void expect_serves(wasm_module& m) {
  auto out = provoke(m, 0);
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*out, nil_payload());
}

TEST(WasmModule, EchoModulesFromWatAndFromCAnswerTheirInput) {
  for (const char* name : {"echo", "echo_c"}) {
    auto m = load_ok(name);
    ASSERT_TRUE(m);
    auto in = pack(std::map<std::string, int>{{"a", 1}, {"b", 2}});
    auto out = m->execute(in);
    ASSERT_TRUE(out) << name << ": " << describe(out.error());
    EXPECT_EQ(*out, in) << name;
  }
}

TEST(WasmModule, TheCounterKeepsItsStateBetweenCalls) {
  for (const char* name : {"counter", "counter_c"}) {
    auto m = load_ok(name);
    ASSERT_TRUE(m);
    for (std::int64_t i = 1; i <= 3; ++i) {
      auto out = m->execute(nil_payload());
      ASSERT_TRUE(out) << name << ": " << describe(out.error());
      EXPECT_EQ(*unpack_as<std::int64_t>(*out), i) << name;
    }
  }
}

TEST(WasmModule, ASnapshotRestoredIntoAFreshInstanceCarriesMemoryAndGlobals) {
  auto first = load_ok("counter");
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->execute(nil_payload()));
  ASSERT_TRUE(first->execute(nil_payload()));
  auto state = first->snapshot();
  ASSERT_TRUE(state) << describe(state.error());
  auto second = load_ok("counter");
  ASSERT_TRUE(second);
  ASSERT_FALSE(second->restore(*state));
  auto out = second->execute(nil_payload());
  ASSERT_TRUE(out) << describe(out.error()) << " (global and memory must both be carried)";
  EXPECT_EQ(*unpack_as<std::int64_t>(*out), 3);
}

TEST(WasmModule, AModuleWithSnapshotAndRestoreExportsCarriesItsStateIntoANewLayout) {
  auto first = load_ok("counter_snap");
  ASSERT_TRUE(first);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(first->execute(nil_payload()));
  auto state = first->snapshot();
  ASSERT_TRUE(state) << describe(state.error());
  EXPECT_LT(state->bytes.size(), 16u) << "the module's own 4 bytes, not its memory";
  auto moved = load_ok("counter_moved");
  ASSERT_TRUE(moved);
  ASSERT_FALSE(moved->restore(*state));
  auto out = moved->execute(nil_payload());
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*unpack_as<std::int64_t>(*out), 103) << "3 carried into the new layout, plus 100";
  auto plain = load_ok("counter");
  ASSERT_TRUE(plain);
  auto err = plain->restore(*state);
  ASSERT_TRUE(err);
  EXPECT_NE(describe(err).find("exports no restore"), std::string::npos) << describe(err);
}

TEST(WasmModule, AStateThatDoesNotFitIsRefusedAndChangesNothing) {
  module_limits small;
  small.memory_pages = 4;
  auto counter = load_ok("counter", small);
  ASSERT_TRUE(counter);
  ASSERT_TRUE(counter->execute(nil_payload()));
  auto refused = [&](const payload& state, const std::string& part) {
    auto err = counter->restore(state);
    ASSERT_TRUE(err) << part;
    EXPECT_NE(describe(err).find(part), std::string::npos) << describe(err);
  };
  using globals = std::vector<std::tuple<std::string, std::uint64_t>>;
  refused(pack(std::make_tuple(1, 1, msgpack::type::raw_ref("", 0), globals{{"i64", 5}})),
          "globals differ");
  refused(pack(std::make_tuple(1, 8, msgpack::type::raw_ref("", 0), globals{{"i32", 5}})),
          "over the limit of 4");
  refused(pack(std::make_tuple(9, 1, msgpack::type::raw_ref("", 0), globals{})), "format");
  refused(payload{{0x01}}, "not a WebAssembly state");
  auto out = counter->execute(nil_payload());
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*unpack_as<std::int64_t>(*out), 2) << "the refused states changed nothing";
}

TEST(WasmModule, AStringTransformInCUpperCasesAndOffersItsTools) {
  auto m = load_ok("transform");
  ASSERT_TRUE(m);
  auto out = m->execute(pack(std::string("Hello, wasm")));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*unpack_as<std::string>(*out), "HELLO, WASM");
  auto reversed = m->call_tool("reverse", pack(std::map<std::string, std::string>{{"text", "abc"}}));
  ASSERT_TRUE(reversed) << describe(reversed.error());
  EXPECT_EQ(*unpack_as<std::string>(*reversed), "cba");
  auto unknown = m->call_tool("nope", pack(std::map<std::string, std::string>{{"text", "x"}}));
  expect_error(unknown, errc::plugin_failed, "unknown tool: nope");
  auto json = m->metadata_json();
  ASSERT_TRUE(json);
  EXPECT_NE(json->find("\"reverse\""), std::string::npos);
}

TEST(WasmModule, AHashOverOneMegabyteMatchesFnv1a) {
  auto m = load_ok("hash");
  ASSERT_TRUE(m);
  std::vector<char> data(1 << 20);
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>(i * 31 + 7);
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : data)
    h = (h ^ static_cast<std::uint8_t>(c)) * 0x100000001b3ull;
  auto out = m->execute(pack(msgpack::type::raw_ref(data.data(), static_cast<std::uint32_t>(data.size()))));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*unpack_as<std::uint64_t>(*out), h);
}

TEST(WasmModule, TrapsAnswerPluginFailedWithTheTrapsMessageAndTheModuleServesOn) {
  auto m = load_ok("hostile");
  ASSERT_TRUE(m);
  expect_error(provoke(*m, 1), errc::plugin_failed, "unreachable");
  expect_serves(*m);
  expect_error(provoke(*m, 2), errc::plugin_failed, "out of bounds");
  expect_serves(*m);
  expect_error(provoke(*m, 3), errc::plugin_failed, "divide by zero");
  expect_serves(*m);
  expect_error(provoke(*m, 4), errc::plugin_failed, "call stack exhausted");
  expect_serves(*m);
  EXPECT_EQ(m->counters()["traps"], 4);
}

TEST(WasmModule, AModuleLogsAtMostAHundredLinesPerCallAndTheRestAreCounted) {
  auto m = load_ok("log_flood");
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->execute(nil_payload()));
  EXPECT_EQ(m->counters()["log_lines_dropped"], 900);
  ASSERT_TRUE(m->execute(nil_payload()));
  EXPECT_EQ(m->counters()["log_lines_dropped"], 1800) << "the cap is per call";
}

TEST(WasmModule, AnErrorResultIsPluginFailedWithTheModulesMessage) {
  auto m = load_ok("hostile");
  ASSERT_TRUE(m);
  expect_error(provoke(*m, 7), errc::plugin_failed, "refused by hostile");
  expect_serves(*m);
}

TEST(WasmModule, AnErrorMessageThatIsNotUtf8IsReplacedByANoteSayingSo) {
  auto m = load_ok("bad_error");
  ASSERT_TRUE(m);
  expect_error(m->execute(nil_payload()), errc::plugin_failed,
               "(an error message that is not UTF-8, 5000 bytes)");
}

TEST(WasmModule, AnInfiniteLoopRunsOutOfFuelAndTheModuleServesOn) {
  module_limits limits;
  limits.fuel = 1'000'000;
  auto m = load_ok("hostile", limits);
  ASSERT_TRUE(m);
  expect_error(provoke(*m, 5), errc::limit_exceeded, "fuel limit exceeded (1000000 instructions");
  expect_serves(*m);
  expect_error(provoke(*m, 8), errc::limit_exceeded, "fuel limit exceeded");
  expect_serves(*m);
  EXPECT_EQ(m->counters()["fuel_stops"], 2);
}

TEST(WasmModule, AnInfiniteLoopWithoutAFuelLimitRunsOutOfWallTime) {
  module_limits limits;
  limits.fuel = 0;
  limits.wall_time = std::chrono::milliseconds(20);
  auto m = load_ok("hostile", limits);
  ASSERT_TRUE(m);
  expect_error(provoke(*m, 5), errc::limit_exceeded, "wall-time limit exceeded (20 ms");
  expect_serves(*m);
  EXPECT_EQ(m->counters()["time_stops"], 1);
}

TEST(WasmModule, BulkMemoryOperationsAreChargedByTheirLength) {
  module_limits limits;
  limits.fuel = 10'000'000;
  auto m = load_ok("bulk_fill", limits);
  ASSERT_TRUE(m);
  expect_error(m->execute(nil_payload()), errc::limit_exceeded, "fuel limit exceeded");
  EXPECT_GE(m->counters()["fuel_last"], 10'000'000);
  limits.fuel = 0;
  limits.wall_time = std::chrono::milliseconds(50);
  auto timed = load_ok("bulk_fill", limits);
  ASSERT_TRUE(timed);
  expect_error(timed->execute(nil_payload()), errc::limit_exceeded, "wall-time limit exceeded");
}

TEST(WasmModule, FuelIsDeterministicForTheSameInput) {
  auto m = load_ok("transform");
  ASSERT_TRUE(m);
  ASSERT_TRUE(m->execute(pack(std::string("same input"))));
  auto first = m->counters()["fuel_last"];
  ASSERT_TRUE(m->execute(pack(std::string("same input"))));
  EXPECT_EQ(m->counters()["fuel_last"], first);
  EXPECT_GT(first, 0);
}

TEST(WasmModule, MemoryGrowthPastTheCapIsLimitExceeded) {
  module_limits limits;
  limits.memory_pages = 4;
  auto m = load_ok("hostile", limits);
  ASSERT_TRUE(m);
  expect_error(provoke(*m, 6), errc::limit_exceeded, "memory limit exceeded (4 pages");
  expect_serves(*m);
  EXPECT_LE(m->counters()["linear_memory_bytes"], 4 * 65536);
}

TEST(WasmModule, AHugeInitialMemoryIsRefusedAtLoad) {
  auto m = wasm_module::load("huge", "huge_memory.wasm", module_bytes("huge_memory"));
  expect_error(m ? caf::expected<payload>(payload{}) : caf::expected<payload>(m.error()),
               errc::limit_exceeded, "initial memory of 65536 pages");
}

TEST(WasmModule, AStartFunctionThatLoopsForeverIsStoppedAtLoad) {
  module_limits limits;
  limits.fuel = 1'000'000;
  auto m = wasm_module::load("spin", "start_loop.wasm", module_bytes("start_loop"), limits);
  ASSERT_FALSE(m);
  EXPECT_EQ(code_name(m.error()), "limit_exceeded");
  EXPECT_NE(describe(m.error()).find("start function"), std::string::npos) << describe(m.error());
}

TEST(WasmModule, AResultOutOfBoundsOfMemoryIsPluginFailed) {
  auto m = load_ok("bad_result");
  ASSERT_TRUE(m);
  for (std::uint8_t sel : {0, 1, 2})
    expect_error(m->execute(payload{{sel}}), errc::plugin_failed, "out of bounds");
}

TEST(WasmModule, ModulesThatBreakTheAbiAreRefusedNamingTheFile) {
  struct refusal {
    const char* module;
    errc code;
    const char* part;
  };
  for (const auto& r : {refusal{"foreign_import", errc::load_failed, "env.system"},
                        refusal{"no_execute", errc::load_failed, "exports no 'execute'"},
                        refusal{"malformed", errc::load_failed, "not a valid WebAssembly module"},
                        // found by fuzz_wasm_module: libwabt's IR reader aborts the process on it
                        refusal{"ir_reader_assert", errc::load_failed, "not a valid WebAssembly module"}}) {
    auto file = std::string(r.module) + ".wasm";
    auto m = wasm_module::load(r.module, file, module_bytes(r.module));
    ASSERT_FALSE(m) << r.module;
    EXPECT_EQ(code_name(m.error()), to_string(r.code)) << describe(m.error());
    EXPECT_NE(describe(m.error()).find(file), std::string::npos) << describe(m.error());
    EXPECT_NE(describe(m.error()).find(r.part), std::string::npos) << describe(m.error());
  }
}

TEST(WasmModuleMetadata, HooksAndTheirPriorityAreReadAndUnknownPointsRefused) {
  module_metadata meta;
  EXPECT_EQ(parse_module_metadata(
              R"({"hooks": ["before_tool_call", "after_model_call"], "hook_priority": 7})", meta),
            "");
  EXPECT_EQ(meta.md.hooks, (std::vector<std::string>{"before_tool_call", "after_model_call"}));
  EXPECT_EQ(meta.md.hook_priority, 7);
  module_metadata bad;
  auto why = parse_module_metadata(R"({"hooks": ["during_call"]})", bad);
  EXPECT_NE(why.find("unknown hook point 'during_call'"), std::string::npos) << why;
  module_metadata bad_tool;
  why = parse_module_metadata(R"({"tools": [{"name": "t", "parameters": {"type": "objekt"}}]})",
                              bad_tool);
  EXPECT_NE(why.find("tools[0].parameters"), std::string::npos) << why;
  module_metadata not_json;
  EXPECT_EQ(parse_module_metadata("{not json", not_json), "not valid JSON");
}

TEST(WasmModule, TheMeteringCacheAnswersTheSameModuleForTheSameBytesAndFuelOnly) {
  metering_cache cache;
  auto counter = module_bytes("counter");
  auto first = cache.get(counter, 1000);
  ASSERT_TRUE(first.error.empty()) << first.error;
  EXPECT_EQ(cache.get(counter, 1000).module.bytes, first.module.bytes);
  EXPECT_NE(cache.get(counter, 2000).module.bytes, first.module.bytes) << "another initial fuel";
  auto echo = cache.get(module_bytes("echo"), 1000);
  EXPECT_NE(echo.module.bytes, first.module.bytes) << "other bytes are metered again";
  EXPECT_FALSE(cache.get({0, 1, 2}, 1000).error.empty()) << "and bad bytes are still refused";
  auto again = wasm_module::load("counter", "counter.wasm", counter, {}, &cache);
  ASSERT_TRUE(again) << describe(again.error());
  auto out = (*again)->execute(nil_payload());
  ASSERT_TRUE(out);
  EXPECT_EQ(*unpack_as<std::int64_t>(*out), 1);
}

TEST(WasmModule, AModuleOverTheSizeLimitIsRefused) {
  module_limits limits;
  limits.module_bytes = 8;
  auto m = wasm_module::load("echo", "echo.wasm", module_bytes("echo"), limits);
  ASSERT_FALSE(m);
  EXPECT_EQ(code_name(m.error()), "limit_exceeded");
  EXPECT_NE(describe(m.error()).find("module size limit"), std::string::npos);
}

TEST(WasmModule, BytesThatAreNoModuleAreRefused) {
  auto m = wasm_module::load("junk", "junk.wasm", {0, 1, 2, 3, 4, 5});
  ASSERT_FALSE(m);
  EXPECT_EQ(code_name(m.error()), "load_failed");
}

} // namespace
} // namespace troupe::wasm
