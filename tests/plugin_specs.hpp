#pragma once
// Shorthands for the plugin_spec of each standard kind, and the example classes for tests that
// add "echo" or "kv_store".

#include <memory>
#include <string>

#include "plugins/api/plugin_spec.hpp"
#include "plugins/examples/register_examples.hpp"
#include "plugins/native/registry.hpp"

namespace troupe::test {

/// kind "native": an instance of the compiled-in class `class_name`.
inline plugin_spec native_spec(plugin_config cfg, std::string class_name) {
  return plugin_spec{std::move(cfg), "native", {{"class", std::move(class_name)}}};
}

/// kind "lua": the script at `path` ("" : the plugin's "script" setting names it).
inline plugin_spec lua_spec(plugin_config cfg, std::string path) {
  return plugin_spec{std::move(cfg), "lua", {{"script", std::move(path)}}};
}

/// kind "library": the shared library at `path`.
inline plugin_spec library_spec(plugin_config cfg, std::string path) {
  return plugin_spec{std::move(cfg), "library", {{"library", std::move(path)}}};
}

/// A native registry with the example classes ("echo", "kv_store").
inline std::shared_ptr<native_registry> example_natives() {
  auto natives = std::make_shared<native_registry>();
  examples::register_examples(*natives);
  return natives;
}

} // namespace troupe::test
