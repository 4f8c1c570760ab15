#pragma once
// A plugin kind that exists only in the tests: "fake". Its plugin answers every call with the
// text of its recipe file (read at load), after the setting "flavour.prefix". Registering it is
// one line, like every kind: kinds.add(fake_kind()).
//
//   [[plugins]]
//   id = "soup"
//   recipe = "soup.fake"      # key_type::path, required, selects the kind, the watched file
//   [plugins.flavours]        # key_type::table -> settings "flavour.<name>"
//   prefix = "hot "

#include <fstream>
#include <iterator>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/api/kind_definition.hpp"
#include "plugins/api/plugin_context.hpp"

namespace troupe::test {

/// Answers the recipe file's text as it was at load.
class recipe_plugin final : public plugin {
public:
  explicit recipe_plugin(std::string path) : path_(std::move(path)) {}

  plugin_metadata metadata() const override {
    plugin_metadata m;
    m.id = "recipe";
    m.name = "Recipe";
    m.version = "1.0.0";
    return m;
  }

  caf::error load(plugin_context& ctx) override {
    std::ifstream in{path_};
    if (!in)
      return make_error(errc::load_failed, ctx.plugin_id(), "cannot read '" + path_ + "'");
    text_.assign(std::istreambuf_iterator<char>(in), {});
    prefix_ = ctx.setting_or("flavour.prefix", "");
    return {};
  }

  caf::expected<payload> execute(plugin_context&, const payload&) override {
    return pack(prefix_ + text_);
  }

private:
  std::string path_;
  std::string text_;
  std::string prefix_;
};

/// The "fake" kind: keys `recipe` (path, required) and `flavours` (table); watches "*.fake";
/// a new file gets its stem as id; refuses a flavour other than "prefix".
inline kind_definition fake_kind() {
  kind_definition k;
  k.name = "fake";
  k.keys = {{"recipe", key_type::path, true, {}}, {"flavours", key_type::table, false, "flavour."}};
  k.selecting_key = "recipe";
  k.file_key = "recipe";
  k.watch_patterns = {"*.fake"};
  k.make_factory = [](const plugin_spec& spec, const kind_context&)
    -> caf::expected<plugin_factory> {
    auto path = spec.key("recipe");
    return plugin_factory{[path]() -> caf::expected<std::unique_ptr<plugin>> {
      return std::unique_ptr<plugin>{new recipe_plugin(path)};
    }};
  };
  k.check = [](const plugin_spec& spec) -> caf::error {
    for (const auto& [name, value] : spec.config.settings)
      if (name.rfind("flavour.", 0) == 0 && name != "flavour.prefix")
        return make_error(errc::config_error, spec.config.id, "unknown flavour '" + name + "'");
    return {};
  };
  k.spec_for_file = [](const std::string& path) {
    plugin_spec spec;
    auto name = path.substr(path.find_last_of('/') + 1);
    spec.config.id = name.substr(0, name.rfind('.'));
    spec.keys["recipe"] = path;
    return spec;
  };
  return k;
}

} // namespace troupe::test
