// The memory plugin through a runtime (real plugin actors, blocking calls with deadlines): its
// ops, its tools, bad input answered with bad_input naming the plugin, limits, counters, and
// persistence of its database across runtimes.

#include <map>
#include <string>

#include "actor_fixture.hpp"
#include "actors/runtime.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/builtin/register_builtins.hpp"

namespace troupe::test {
namespace {

using nlohmann::json;

/// A runtime with one running memory plugin "mem" with `settings`.
class memory_node {
public:
  memory_node(caf::actor_system& sys, std::map<std::string, std::string> settings)
    : rt(sys, options()) {
    auto md = rt.add(native_spec(config_for("mem", std::move(settings)), "memory"));
    EXPECT_TRUE(md) << describe(md.error());
    auto started = rt.start_all();
    EXPECT_TRUE(started) << describe(started.error());
  }

  static runtime_options options() {
    runtime_options opts;
    opts.natives = std::make_shared<native_registry>();
    builtin::register_builtins(*opts.natives);
    return opts;
  }

  caf::expected<json> call(const json& request) {
    auto out = rt.execute("mem", payload_from_json(request));
    if (!out)
      return std::move(out.error());
    return payload_to_json(*out);
  }

  json ok(const json& request) {
    auto reply = call(request);
    if (!reply) {
      ADD_FAILURE() << request.dump() << " failed: " << describe(reply.error());
      return json("<failed>");
    }
    return *reply;
  }

  runtime rt;
};

/// The contents of a reply's entries, in order.
std::vector<std::string> contents(const json& reply) {
  std::vector<std::string> out;
  for (const auto& e : reply.at("entries"))
    out.push_back(e.at("content"));
  return out;
}

class MemoryPlugin : public actor_fixture {
protected:
  temp_dir dir;
  std::string db = dir.file("memory.db");
};

TEST_F(MemoryPlugin, AppendRecallRecentForgetAndStats) {
  memory_node node{sys, {{"path", db}}};
  auto a = node.ok({{"op", "append"}, {"agent", "ann"}, {"session", "s1"}, {"role", "user"},
                    {"content", "my cat is called Miso"}});
  ASSERT_TRUE(a.contains("id") && a.contains("time_ms")) << a.dump();
  node.ok({{"op", "append"}, {"agent", "ann"}, {"session", "s1"}, {"role", "assistant"},
           {"content", "nice name"}});
  node.ok({{"op", "append"}, {"agent", "ann"}, {"kind", "fact"}, {"content", "ann has a cat"}});
  auto found = node.ok({{"op", "recall"}, {"agent", "ann"}, {"query", "cat Miso"}});
  EXPECT_EQ(contents(found), (std::vector<std::string>{"my cat is called Miso", "ann has a cat"}));
  EXPECT_EQ(found["entries"][0]["role"], "user");
  EXPECT_EQ(found["entries"][0]["session"], "s1");
  EXPECT_TRUE(found["entries"][0].contains("score"));
  EXPECT_EQ(contents(node.ok({{"op", "recent"}, {"agent", "ann"}, {"session", "s1"}, {"limit", 1}})),
            (std::vector<std::string>{"nice name"}));
  EXPECT_EQ(node.ok({{"op", "stats"}}),
            (json{{"entries", 3}, {"messages", 2}, {"facts", 1}, {"agents", 1}, {"sessions", 1}}));
  EXPECT_EQ(node.ok({{"op", "forget"}, {"agent", "ann"}, {"id", a["id"]}}), (json{{"forgotten", 1}}));
  EXPECT_EQ(node.ok({{"op", "forget"}, {"agent", "ann"}, {"session", "s1"}}), (json{{"forgotten", 1}}));
  EXPECT_EQ(node.ok({{"op", "forget"}, {"agent", "ann"}, {"all", true}}), (json{{"forgotten", 1}}));
  auto stats = node.rt.stats("mem");
  ASSERT_TRUE(stats) << describe(stats.error());
  EXPECT_EQ(stats->counters.at("entries"), 0);
  EXPECT_EQ(stats->counters.at("appends"), 3);
  EXPECT_EQ(stats->counters.at("recalls"), 1);
  EXPECT_EQ(stats->counters.at("forgotten"), 3);
}

TEST_F(MemoryPlugin, BadInputIsBadInputNamingThePluginAndThePluginServesOn) {
  memory_node node{sys, {{"path", db}, {"max_content_bytes", "16"}, {"max_results", "5"}}};
  std::vector<json> bad = {
    json("not a map"),
    {{"agent", "ann"}},
    {{"op", 7}},
    {{"op", "dance"}, {"agent", "ann"}},
    {{"op", "append"}, {"content", "no agent"}, {"role", "user"}},
    {{"op", "append"}, {"agent", 42}, {"content", "x"}, {"role", "user"}},
    {{"op", "append"}, {"agent", "ann"}, {"content", "x"}},                  // a message needs a role
    {{"op", "append"}, {"agent", "ann"}, {"content", ""}, {"role", "user"}},
    {{"op", "append"}, {"agent", "ann"}, {"content", "x"}, {"kind", "dream"}},
    {{"op", "append"}, {"agent", "ann"}, {"role", "user"}, {"content", std::string(17, 'x')}},
    {{"op", "append"}, {"agent", std::string(257, 'a')}, {"role", "user"}, {"content", "x"}},
    {{"op", "recall"}, {"agent", "ann"}},
    {{"op", "recall"}, {"agent", "ann"}, {"query", "x"}, {"limit", 6}},
    {{"op", "recall"}, {"agent", "ann"}, {"query", "x"}, {"limit", 0}},
    {{"op", "recent"}, {"agent", "ann"}, {"limit", "ten"}},
    {{"op", "forget"}, {"agent", "ann"}},
    {{"op", "forget"}, {"agent", "ann"}, {"id", 1}, {"all", true}},
    {{"op", "forget"}, {"agent", "ann"}, {"all", "yes"}},
  };
  for (const auto& request : bad) {
    auto reply = node.call(request);
    ASSERT_FALSE(reply) << request.dump() << " answered " << reply->dump();
    EXPECT_EQ(reply.error().code(), static_cast<std::uint8_t>(errc::bad_input))
      << request.dump() << ": " << describe(reply.error());
    EXPECT_EQ(plugin_of(reply.error()), "mem") << request.dump();
  }
  auto garbage = node.rt.execute("mem", payload{{0xc1}});
  EXPECT_TROUPE_ERROR(garbage, errc::bad_input);
  EXPECT_EQ(node.ok({{"op", "append"}, {"agent", "ann"}, {"role", "user"},
                     {"content", std::string(16, 'x')}})
              .count("id"),
            1u);
  EXPECT_EQ(node.ok({{"op", "stats"}, {"agent", "ann"}})["entries"], 1);
}

TEST_F(MemoryPlugin, ToolsAreDeclaredWithSchemasAndCallable) {
  memory_node node{sys, {{"path", ":memory:"}}};
  auto tools = node.rt.tools();
  ASSERT_TRUE(tools) << describe(tools.error());
  std::vector<std::string> names;
  for (const auto& t : *tools) {
    names.push_back(t.name);
    EXPECT_EQ(json::parse(t.parameters).at("type"), "object") << t.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"memory_append", "memory_forget", "memory_recall",
                                             "memory_recent"}));
  auto appended = node.rt.call_tool(
    "memory_append", payload_from_json({{"agent", "ann"}, {"kind", "fact"}, {"content", "blue sky"}}));
  ASSERT_TRUE(appended) << describe(appended.error());
  auto recalled = node.rt.call_tool("memory_recall",
                                    payload_from_json({{"agent", "ann"}, {"query", "sky OR"}}));
  ASSERT_TRUE(recalled) << describe(recalled.error());
  EXPECT_EQ(contents(*payload_to_json(*recalled)), (std::vector<std::string>{"blue sky"}));
  auto refused = node.rt.call_tool("memory_recall", payload_from_json({{"agent", "ann"}}));
  EXPECT_TROUPE_ERROR(refused, errc::bad_input); // the schema requires a query
  auto forgot = node.rt.call_tool("memory_forget",
                                  payload_from_json({{"agent", "ann"}, {"all", true}}));
  ASSERT_TRUE(forgot) << describe(forgot.error());
  EXPECT_EQ(*payload_to_json(*forgot), (json{{"forgotten", 1}}));
}

TEST_F(MemoryPlugin, WhatWasRememberedSurvivesANewRuntimeOnTheSameFile) {
  {
    memory_node node{sys, {{"path", db}}};
    node.ok({{"op", "append"}, {"agent", "ann"}, {"kind", "fact"}, {"content", "favourite colour teal"}});
    ASSERT_TRUE(node.rt.shutdown_all());
  }
  memory_node again{sys, {{"path", db}}};
  EXPECT_EQ(contents(again.ok({{"op", "recall"}, {"agent", "ann"}, {"query", "colour"}})),
            (std::vector<std::string>{"favourite colour teal"}));
  auto stats = again.rt.stats("mem");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->counters.at("entries"), 1);
}

TEST_F(MemoryPlugin, ABadSettingFailsTheLoadWithAConfigError) {
  runtime rt{sys, memory_node::options()};
  ASSERT_TRUE(rt.add(native_spec(config_for("mem", {{"max_results", "many"}}), "memory")));
  auto started = rt.start_all();
  ASSERT_FALSE(started);
  EXPECT_NE(describe(started.error()).find("max_results"), std::string::npos)
    << describe(started.error());
}

} // namespace
} // namespace troupe::test
