// Embedding Troupe in your own program: a runtime with a compiled-in plugin class of your own,
// added once as an object and once by class name through the plugin-kind registry, and blocking
// calls from plain code. Built and run by ctest (docs_example_embedding), and built against an
// installed Troupe with find_package(troupe) (install_consumer), so it stays true.

#include <cstdio>
#include <map>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/runtime.hpp"
#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/registration.hpp"

namespace {

/// A plugin of your own: upper-cases a string.
class shout_plugin final : public troupe::plugin {
public:
  troupe::plugin_metadata metadata() const override {
    troupe::plugin_metadata m;
    m.id = "shout";
    m.name = "Shout";
    m.version = "0.1.0";
    m.type = {troupe::plugin_kind::skill, {}};
    return m;
  }

  caf::expected<troupe::payload> execute(troupe::plugin_context& ctx,
                                         const troupe::payload& input) override {
    auto text = troupe::unpack_as<std::string>(input, ctx.plugin_id());
    if (!text)
      return std::move(text.error());
    for (auto& c : *text)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return troupe::pack(*text);
  }
};

} // namespace

int main() {
  caf::actor_system_config cfg;
  troupe::register_types(cfg); // every binary announces Troupe's types once
  caf::actor_system sys{cfg};
  troupe::runtime rt{sys};

  // An object you made: the runtime cannot make it again, so it is not restarted after a crash.
  rt.add({"loud", {}, {}}, std::make_unique<shout_plugin>());
  // A class registered by name, added as a [[plugins]] entry would be (kind "native"); the
  // runtime makes a fresh instance after a crash. "lua" and "library" entries work the same.
  rt.natives().add<shout_plugin>("shout");
  troupe::plugin_spec spec;
  spec.config.id = "shout";
  spec.config.dependencies = {"loud"}; // started after loud, stopped before it
  spec.kind = "native";
  spec.keys["class"] = "shout";
  if (auto added = rt.add(spec); !added) {
    std::printf("add failed: %s\n", troupe::describe(added.error()).c_str());
    return 1;
  }
  auto order = rt.start_all(); // load, init, start in dependency order
  if (!order) {
    std::printf("start failed: %s\n", troupe::describe(order.error()).c_str());
    return 1;
  }
  std::printf("started:");
  for (const auto& id : *order)
    std::printf(" %s", id.c_str());
  std::printf("\n");

  auto out = rt.execute("shout", troupe::pack(std::string("hello, troupe")));
  if (!out) {
    std::printf("execute failed: %s\n", troupe::describe(out.error()).c_str());
    return 1;
  }
  std::printf("shout -> %s\n", troupe::unpack_as<std::string>(*out)->c_str());

  // Errors are values that name the plugin.
  auto bad = rt.execute("shout", troupe::pack(42));
  std::printf("shout(42) -> %s\n", troupe::describe(bad.error()).c_str());

  rt.shutdown_all(); // stop and unload in reverse dependency order
  return *troupe::unpack_as<std::string>(*out) == "HELLO, TROUPE" && !bad ? 0 : 1;
}
