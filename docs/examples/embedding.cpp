// Embedding Troupe in your own program: a runtime with a compiled-in plugin class of your own,
// added once as an object and once by class name through the plugin-kind registry, and blocking
// calls from plain code. Built and run by ctest (docs_example_embedding), and built against an
// installed Troupe with find_package(troupe) (install_consumer), so it stays true.

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/runtime.hpp"
#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/registration.hpp"
#include "node/node.hpp"
#include "plugins/kinds/standard_kinds.hpp"
#include "plugins/native/registry.hpp"

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

/// A runtime in an actor system of your own: plugins added from code.
bool runtime_example() {
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
    return false;
  }
  auto order = rt.start_all(); // load, init, start in dependency order
  if (!order) {
    std::printf("start failed: %s\n", troupe::describe(order.error()).c_str());
    return false;
  }
  std::printf("started:");
  for (const auto& id : *order)
    std::printf(" %s", id.c_str());
  std::printf("\n");

  auto out = rt.execute("shout", troupe::pack(std::string("hello, troupe")));
  if (!out) {
    std::printf("execute failed: %s\n", troupe::describe(out.error()).c_str());
    return false;
  }
  std::printf("shout -> %s\n", troupe::unpack_as<std::string>(*out)->c_str());

  // Errors are values that name the plugin.
  auto bad = rt.execute("shout", troupe::pack(42));
  std::printf("shout(42) -> %s\n", troupe::describe(bad.error()).c_str());

  // An actor resolves the plugin once and talks to its address: one hop each way, the manager
  // not on the path; the address stays valid across crashes, restarts and reloads.
  auto address = rt.resolve("shout");
  bool from_actor = false;
  if (address) {
    caf::scoped_actor self{sys};
    self->request(*address, std::chrono::seconds{5}, troupe::execute_atom::value,
                  troupe::pack(std::string("from an actor")))
      .receive(
        [&](troupe::payload& p) {
          std::printf("actor -> shout -> %s\n", troupe::unpack_as<std::string>(p)->c_str());
          from_actor = true;
        },
        [](caf::error& err) {
          std::printf("actor call failed: %s\n", troupe::describe(err).c_str());
        });
  }

  rt.shutdown_all(); // stop and unload in reverse dependency order
  return *troupe::unpack_as<std::string>(*out) == "HELLO, TROUPE" && !bad && from_actor;
}

/// A whole node from a config file, the same file `troupe run` reads (here given as text; use
/// troupe::node::start_file("node.toml", opts) for a file). The node owns its actor system.
bool node_example() {
  const char* config = R"(
[node]
name = "embedded"        # port = 4710 would publish the manager for `troupe ... --node`
[[plugins]]
id = "shout"
class = "shout"          # kind "native": a class of runtime_options / node_options natives
)";
  troupe::node_options opts;
  opts.natives = std::make_shared<troupe::native_registry>();
  opts.natives->add<shout_plugin>("shout");
  auto cfg = troupe::parse_node_config(config, "embedded.toml", troupe::standard_kinds());
  if (!cfg) {
    std::printf("config: %s\n", troupe::describe(cfg.error()).c_str());
    return false;
  }
  auto n = troupe::node::start(std::move(*cfg), opts);
  if (!n) {
    std::printf("node: %s\n", troupe::describe(n.error()).c_str());
    return false;
  }
  auto out = (*n)->runtime().execute("shout", troupe::pack(std::string("node")));
  std::printf("node shout -> %s\n", out ? troupe::unpack_as<std::string>(*out)->c_str() : "?");
  return out && *troupe::unpack_as<std::string>(*out) == "NODE";
} // the node's destructor stops and unloads its plugins and ends its actors

} // namespace

int main() {
  return runtime_example() && node_example() ? 0 : 1;
}
