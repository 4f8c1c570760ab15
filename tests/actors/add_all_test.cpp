// runtime::add_all: a node's plugins added with their registrations pipelined, one result per
// spec in order, a failing spec leaving the others added; the blocking client's pipelined
// register_plugins underneath.

#include <fstream>

#include "actor_fixture.hpp"
#include "actors/runtime.hpp"
#include "messages/msgpack_codec.hpp"
#include "actors/plugin_host.hpp"
#include "plugin_specs.hpp"
#include "plugins/examples/echo_plugin.hpp"

namespace troupe::test {
namespace {

class AddAll : public actor_fixture {
protected:
  AddAll() {
    runtime_options opts;
    opts.natives = example_natives();
    opts.call_timeout = request_timeout;
    rt = std::make_unique<runtime>(sys, std::move(opts));
  }

  temp_dir dir;
  std::unique_ptr<runtime> rt;
};

TEST_F(AddAll, AddsEveryPluginAndAnswersOneResultPerSpecInOrder) {
  auto script = dir.file("twice.lua");
  std::ofstream{script} << "function execute(x) return x * 2 end\n";
  std::vector<plugin_spec> specs;
  for (int i = 0; i < 50; ++i)
    specs.push_back(lua_spec(config_for("lua" + std::to_string(i)), script));
  specs.push_back(native_spec(config_for("echo"), "echo"));
  auto results = rt->add_all(specs);
  ASSERT_EQ(results.size(), specs.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i]) << describe(results[i].error());
    EXPECT_EQ(results[i]->id, specs[i].config.id);
  }
  ASSERT_TRUE(rt->start_all());
  auto out = rt->execute("lua49", pack(std::int64_t{21}));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*unpack_as<std::int64_t>(*out), 42);
  EXPECT_TRUE(rt->execute("echo", pack(std::string("hi"))));
}

TEST_F(AddAll, AFailingSpecIsItsOwnErrorAndTheOthersAreAdded) {
  std::vector<plugin_spec> specs{native_spec(config_for("a"), "echo"),
                                 plugin_spec{config_for("b"), "cobol", {}},
                                 native_spec(config_for("a"), "echo"),
                                 native_spec(config_for("c"), "no_such_class"),
                                 native_spec(config_for("d"), "echo")};
  auto results = rt->add_all(specs);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_TRUE(results[0]);
  EXPECT_TROUPE_ERROR(results[1], errc::config_error);
  EXPECT_TROUPE_ERROR(results[2], errc::already_exists);
  EXPECT_FALSE(results[3]);
  EXPECT_TRUE(results[4]);
  auto listed = rt->list();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].metadata.id, "a");
  EXPECT_EQ((*listed)[1].metadata.id, "d");
}

TEST_F(AddAll, PipelinedRegistrationsAnswerEachAsASingleOneWould) {
  auto host = [&](const std::string& id) {
    return spawn_plugin_host(sys, id, std::make_unique<examples::echo_plugin>(),
                             std::make_shared<shared_state>(), rt->manager());
  };
  auto taken = host("p1");
  auto results = rt->register_plugins({{config_for("p1"), host("p1")},
                                       {config_for("p2"), plugin_actor{}},
                                       {config_for("p1"), taken},
                                       {config_for("p3"), host("p3")}});
  ASSERT_EQ(results.size(), 4u);
  ASSERT_TRUE(results[0]) << describe(results[0].error());
  EXPECT_EQ(results[0]->id, "p1");
  EXPECT_TROUPE_ERROR(results[1], errc::bad_input);
  EXPECT_TROUPE_ERROR(results[2], errc::already_exists);
  ASSERT_TRUE(results[3]) << describe(results[3].error());
  caf::anon_send_exit(taken, caf::exit_reason::user_shutdown);
}

} // namespace
} // namespace troupe::test
