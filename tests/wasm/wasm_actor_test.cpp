// WebAssembly plugins through real actors (troupe::runtime, the "wasm" kind): execute, tools,
// limits from settings, one plugin's trap or limit leaving every other plugin serving, state
// restored from a checkpoint after a crash, and hot reload by the file watch carrying memory and
// globals (or rolling back when the new file is bad).

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <caf/all.hpp>

#include "actor_fixture.hpp"
#include "actors/event_log.hpp"
#include "actors/runtime.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugin_specs.hpp"
#include "wasm_test_modules.hpp"

namespace troupe::test {
namespace {

plugin_spec wasm_spec(plugin_config cfg, std::string path) {
  return plugin_spec{std::move(cfg), "wasm", {{"module", std::move(path)}}};
}

class WasmActors : public ::testing::Test {
protected:
  void SetUp() override {
    runtime_options opts;
    opts.call_timeout = request_timeout;
    opts.natives = example_natives();
    rt = std::make_unique<runtime>(sys, std::move(opts));
    rt->subscribe([this](const runtime_event& ev) { log.push(ev); });
  }

  /// Adds plugin `id` from a copy of built module `module` in the test's directory.
  std::string add(const std::string& id, const std::string& module,
                  std::map<std::string, std::string> settings = {}) {
    auto path = dir.file(id + ".wasm");
    std::filesystem::copy_file(module_path(module), path,
                               std::filesystem::copy_options::overwrite_existing);
    auto md = rt->add(wasm_spec(config_for(id, std::move(settings)), path));
    EXPECT_TRUE(md) << describe(md.error());
    return path;
  }

  /// Replaces `path` by built module `module` the way editors save: a new file renamed over it.
  void replace(const std::string& path, const std::string& module) {
    auto tmp = path + ".new";
    std::filesystem::copy_file(module_path(module), tmp,
                               std::filesystem::copy_options::overwrite_existing);
    ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0);
  }

  std::int64_t count(const std::string& id) {
    auto out = rt->execute(id, nil_payload());
    EXPECT_TRUE(out) << describe(out.error());
    return out ? *unpack_as<std::int64_t>(*out) : -1;
  }

  registered_config cfg;
  caf::actor_system sys{cfg};
  temp_dir dir;
  event_log log;
  std::unique_ptr<runtime> rt;
};

TEST_F(WasmActors, AModuleServesExecuteAndItsToolsAreListedAndCallable) {
  add("transform", "transform");
  ASSERT_TRUE(rt->start_all());
  auto out = rt->execute("transform", pack(std::string("shout")));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*unpack_as<std::string>(*out), "SHOUT");
  auto md = rt->metadata("transform");
  ASSERT_TRUE(md);
  EXPECT_EQ(md->version, "1.0.0");
  auto tools = rt->tools();
  ASSERT_TRUE(tools);
  std::set<std::string> names;
  for (const auto& t : *tools)
    names.insert(t.plugin + "/" + t.name);
  EXPECT_TRUE(names.count("transform/upper") && names.count("transform/reverse"));
  auto reversed = rt->call_tool("reverse", pack(std::map<std::string, std::string>{{"text", "abc"}}));
  ASSERT_TRUE(reversed) << describe(reversed.error());
  EXPECT_EQ(*unpack_as<std::string>(*reversed), "cba");
  auto bad_args = rt->call_tool("upper", pack(std::map<std::string, int>{{"text", 3}}));
  EXPECT_FALSE(bad_args) << "the schema says text is a string";
}

TEST_F(WasmActors, LimitsFromSettingsStopAModuleAndNoOtherPluginIsTouched) {
  add("hostile", "hostile", {{"limit.fuel", "1M"}});
  ASSERT_TRUE(rt->add(native_spec(config_for("echo"), "echo")));
  add("counter", "counter");
  ASSERT_TRUE(rt->start_all());
  EXPECT_EQ(count("counter"), 1);
  for (std::uint8_t sel : {5, 1, 2, 3, 4, 6, 7}) {
    auto out = rt->execute("hostile", payload{{sel}});
    ASSERT_FALSE(out) << "selector " << int(sel);
    EXPECT_TRUE(code_name(out.error()) == "limit_exceeded" || code_name(out.error()) == "plugin_failed")
      << describe(out.error());
    EXPECT_EQ(plugin_of(out.error()), "hostile");
    auto fine = rt->execute("hostile", payload{{0}});
    EXPECT_TRUE(fine) << "hostile serves its next call after selector " << int(sel);
  }
  EXPECT_TRUE(rt->execute("echo", pack(1)));
  EXPECT_EQ(count("counter"), 2) << "the other module kept its state";
  auto st = rt->stats("hostile");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->restarts, 0u) << "traps and limits are not crashes";
}

TEST_F(WasmActors, BadLimitSettingsFailTheLoadWithAConfigErrorNamingTheLimit) {
  struct bad {
    const char* setting;
    const char* value;
    const char* part;
  };
  for (const auto& b : {bad{"limit.fuel", "lots", "limit fuel=lots"},
                        bad{"limit.memory_pages", "0", "between 1 and 65536"},
                        bad{"limit.stack", "1", "unknown WebAssembly limit 'stack'"}}) {
    auto id = std::string("x") + b.value;
    ASSERT_TRUE(rt->add(wasm_spec(config_for(id, {{b.setting, b.value}}), module_path("echo"))));
    auto loaded = rt->step(lifecycle_op::load, id);
    ASSERT_FALSE(loaded) << b.setting;
    EXPECT_EQ(code_name(loaded.error()), "config_error") << describe(loaded.error());
    EXPECT_NE(describe(loaded.error()).find(b.part), std::string::npos) << describe(loaded.error());
  }
}

TEST_F(WasmActors, ACrashedModuleIsRestartedWithItsCheckpointedMemoryAndGlobals) {
  add("counter", "counter");
  ASSERT_TRUE(rt->start_all());
  for (std::int64_t i = 1; i <= 3; ++i)
    EXPECT_EQ(count("counter"), i);
  auto host = rt->resolve("counter");
  ASSERT_TRUE(host);
  caf::anon_send_exit(*host, caf::exit_reason::kill);
  ASSERT_TRUE(log.wait(event_kind::restarted, "counter"));
  EXPECT_EQ(count("counter"), 4) << "both the global and the memory were restored";
}

TEST_F(WasmActors, WithCheckpointOffARestartedModuleStartsAfreshAndAReloadStillCarriesState) {
  add("counter", "counter", {{"checkpoint", "off"}});
  ASSERT_TRUE(rt->start_all());
  EXPECT_EQ(count("counter"), 1);
  EXPECT_EQ(count("counter"), 2);
  ASSERT_TRUE(rt->reload("counter"));
  EXPECT_EQ(count("counter"), 3) << "a reload carries the state whatever the setting";
  auto host = rt->resolve("counter");
  ASSERT_TRUE(host);
  caf::anon_send_exit(*host, caf::exit_reason::kill);
  ASSERT_TRUE(log.wait(event_kind::restarted, "counter"));
  EXPECT_EQ(count("counter"), 1) << "no checkpoint was kept";
  ASSERT_TRUE(rt->add(wasm_spec(config_for("bad", {{"checkpoint", "sometimes"}}), module_path("echo"))));
  auto loaded = rt->step(lifecycle_op::load, "bad");
  ASSERT_FALSE(loaded);
  EXPECT_NE(describe(loaded.error()).find("use on or off"), std::string::npos);
}

TEST_F(WasmActors, TheFileWatchReloadsAModuleAndCarriesItsState) {
  auto path = add("counter", "counter");
  ASSERT_TRUE(rt->start_all());
  watch_options w;
  w.directories = {dir.path().string()};
  w.strategy = reload_strategy::immediate;
  ASSERT_FALSE(rt->watch(w));
  EXPECT_EQ(count("counter"), 1);
  EXPECT_EQ(count("counter"), 2);
  replace(path, "counter_v2");
  auto done = log.wait(event_kind::reload_completed, "counter");
  ASSERT_TRUE(done);
  EXPECT_NE(done->detail.find("2.0.0"), std::string::npos) << done->detail;
  EXPECT_EQ(count("counter"), 12) << "version 2 adds 10 to the carried count of 2";
}

TEST_F(WasmActors, AReloadToANewMemoryLayoutCarriesTheStateThroughTheModulesOwnExports) {
  auto path = add("counter", "counter_snap");
  ASSERT_TRUE(rt->start_all());
  EXPECT_EQ(count("counter"), 1);
  EXPECT_EQ(count("counter"), 2);
  replace(path, "counter_moved");
  ASSERT_TRUE(rt->reload("counter"));
  EXPECT_EQ(count("counter"), 102) << "the count moved to the new layout's address";
  auto host = rt->resolve("counter");
  ASSERT_TRUE(host);
  caf::anon_send_exit(*host, caf::exit_reason::kill);
  ASSERT_TRUE(log.wait(event_kind::restarted, "counter"));
  EXPECT_EQ(count("counter"), 202) << "the module's own snapshot was the checkpoint";
}

/// Tools the guard hook wraps: say (answers its text), delete_all and trap (never reached).
const char* const guarded_tools = R"(
tools = {
  { name = "say", parameters = { type = "object" }, handler = function(args) return args.text end },
  { name = "delete_all", parameters = { type = "object" }, handler = function() return "deleted" end },
  { name = "trap", parameters = { type = "object" }, handler = function() return "trapped" end },
}
function execute(x) return x end
)";

TEST_F(WasmActors, AModuleIsAnAgentHookThatStopsReplacesAndFailsClosed) {
  add("guard", "guard");
  auto script = dir.file("tools.lua");
  std::ofstream(script) << guarded_tools;
  ASSERT_TRUE(rt->add(lua_spec(config_for("tools"), script)));
  ASSERT_TRUE(rt->start_all());
  auto hooks = rt->hooks();
  ASSERT_TRUE(hooks);
  ASSERT_EQ(hooks->size(), 1u);
  EXPECT_EQ((*hooks)[0].metadata.hook_priority, 10);
  auto text = [](const caf::expected<payload>& out) {
    return out ? *unpack_as<std::string>(*out) : describe(out.error());
  };
  auto say = rt->call_tool("say", pack(std::map<std::string, std::string>{{"text", "hi"}}));
  EXPECT_EQ(text(say), "[guarded] hi") << "the after hook replaced the result";
  auto denied = rt->call_tool("delete_all", pack(std::map<std::string, int>{}));
  EXPECT_EQ(text(denied), "denied by the wasm guard") << "the before hook short-circuited";
  auto trapped = rt->call_tool("trap", pack(std::map<std::string, int>{}));
  ASSERT_FALSE(trapped);
  EXPECT_EQ(plugin_of(trapped.error()), "guard");
  EXPECT_NE(describe(trapped.error()).find("trap"), std::string::npos) << describe(trapped.error());
  auto calls = rt->execute("guard", nil_payload());
  ASSERT_TRUE(calls);
  EXPECT_EQ(*unpack_as<std::int64_t>(*calls), 4) << "say twice (before, after), delete_all, trap";
}

TEST_F(WasmActors, AReloadToABadFileLeavesTheOldVersionServingWithItsState) {
  auto path = add("counter", "counter");
  ASSERT_TRUE(rt->start_all());
  EXPECT_EQ(count("counter"), 1);
  for (const char* bad : {"malformed", "foreign_import", "no_execute"}) {
    replace(path, bad);
    auto md = rt->reload("counter");
    ASSERT_FALSE(md) << bad;
    EXPECT_NE(describe(md.error()).find("counter.wasm"), std::string::npos) << describe(md.error());
  }
  EXPECT_EQ(count("counter"), 2);
}

} // namespace
} // namespace troupe::test
