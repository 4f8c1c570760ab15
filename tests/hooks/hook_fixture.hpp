#pragma once
// The hook tests' fixture: a runtime with the example natives, Lua scripts written to a temp dir,
// tool calls with JSON, and a tool plugin to wrap.

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actor_fixture.hpp"
#include "actors/runtime.hpp"
#include "messages/json_codec.hpp"
#include "messages/hooks.hpp"

namespace troupe::test {

using nlohmann::json;

/// The JSON of a payload (a test failure and null if it has none).
inline json json_of(const payload& p) {
  auto out = payload_to_json(p);
  if (!out) {
    ADD_FAILURE() << describe(out.error());
    return nullptr;
  }
  return *out;
}

/// A tool plugin: `echo` answers its args with the number of calls it has served; `fail` fails.
inline const char* const tool_script = R"(
plugin_name = "tools"
calls = 0
tools = {
  { name = "echo", description = "answers its arguments",
    parameters = { type = "object" },
    handler = function(args) calls = calls + 1; args.served = calls; return args end },
  { name = "fail", description = "always fails", parameters = { type = "object" },
    handler = function(args) error("the tool failed on purpose", 0) end },
}
function execute(input) return calls end
)";

#define EXPECT_CONTAINS(haystack, needle)                                                        \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos)                              \
    << "expected [" << (needle) << "] in [" << (haystack) << "]"

class HookPipeline : public actor_fixture {
protected:
  HookPipeline() {
    runtime_options opts;
    opts.call_timeout = std::chrono::milliseconds{10000};
    opts.natives = example_natives();
    rt = std::make_unique<runtime>(sys, std::move(opts));
  }

  /// Writes `source` to NAME.lua in the temp dir and adds it as plugin `id`.
  void add_script(const std::string& id, const std::string& source,
                  std::map<std::string, std::string> settings = {}) {
    auto path = dir.file(id + ".lua");
    std::ofstream(path) << source;
    auto md = rt->add(lua_spec(config_for(id, std::move(settings)), path));
    ASSERT_TRUE(md) << describe(md.error());
  }

  void start_all() {
    auto started = rt->start_all();
    ASSERT_TRUE(started) << describe(started.error());
  }

  caf::expected<json> tool(const std::string& name, const json& args,
                           const std::string& agent = {}) {
    auto out = rt->call_tool(name, payload_from_json(args), agent);
    if (!out)
      return std::move(out.error());
    return json_of(*out);
  }

  /// How many calls the tool plugin served.
  std::int64_t tool_calls() {
    auto out = rt->execute("tools", payload_from_json(nullptr));
    return out ? json_of(*out).get<std::int64_t>() : -1;
  }

  temp_dir dir;
  std::unique_ptr<runtime> rt;
};

inline std::string text_of(const caf::error& err) {
  return describe(err);
}

} // namespace troupe::test
