#include "actors/tool_catalog.hpp"

#include <spdlog/spdlog.h>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "plugins/api/json_schema.hpp"

namespace troupe {

void tool_catalog::reset(const std::string& plugin, const std::vector<tool_spec>& tools) {
  plugin_ = plugin;
  tools_.clear();
  for (const auto& t : tools) {
    if (t.name.empty() || tools_.count(t.name) != 0) {
      spdlog::warn("plugin '{}': tool '{}' skipped: {}", plugin, t.name,
                   t.name.empty() ? "it has no name" : "a tool of that name exists");
      continue;
    }
    auto text = t.parameters.empty() ? std::string(R"({"type":"object"})") : t.parameters;
    auto document = nlohmann::json::parse(text, nullptr, false);
    if (document.is_discarded()) {
      spdlog::warn("plugin '{}': tool '{}' skipped: its parameters are not valid JSON", plugin,
                   t.name);
      continue;
    }
    compiled_schema schema{std::move(document)};
    if (!schema.problem().empty()) {
      spdlog::warn("plugin '{}': tool '{}' skipped: {}", plugin, t.name, schema.problem());
      continue;
    }
    tool_info info{plugin, t.name, t.description, render_json(schema.document())};
    tools_.emplace(t.name, entry{std::move(info), std::move(schema)});
  }
}

void tool_catalog::clear() {
  tools_.clear();
}

std::vector<tool_info> tool_catalog::list() const {
  std::vector<tool_info> result;
  for (const auto& [name, e] : tools_)
    result.push_back(e.info);
  return result;
}

caf::error tool_catalog::check(const std::string& name, const payload& args) const {
  auto i = tools_.find(name);
  if (i == tools_.end()) {
    std::string known;
    for (const auto& [n, e] : tools_)
      known += (known.empty() ? "" : ", ") + n;
    return make_error(errc::not_found, plugin_,
                      "no tool named '" + name + "' (tools: " + (known.empty() ? "none" : known)
                        + ")");
  }
  auto value = payload_to_json(args, plugin_);
  if (!value)
    return std::move(value.error());
  if (value->is_null())
    *value = nlohmann::json::object();
  auto violations = i->second.schema.validate(*value);
  if (!violations.empty())
    return make_error(errc::bad_input, plugin_,
                      "tool '" + name + "': arguments do not match its schema: "
                        + describe_violations(violations));
  return {};
}

} // namespace troupe
