#include "plugins/wasm/module_metadata.hpp"

#include <nlohmann/json.hpp>

#include "messages/hooks.hpp"
#include "messages/json_codec.hpp"
#include "plugins/api/json_schema.hpp"

namespace troupe::wasm {

namespace {

using json = nlohmann::json;

/// Reads the string field `key` of `obj` into `out` if present; "" or what is wrong.
std::string read_string(const json& obj, const char* key, std::string& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null())
    return {};
  if (!it->is_string())
    return std::string(key) + " must be a string";
  out = it->get<std::string>();
  return {};
}

std::string read_strings(const json& obj, const char* key, std::vector<std::string>& out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null())
    return {};
  if (!it->is_array())
    return std::string(key) + " must be an array of strings";
  out.clear();
  for (const auto& item : *it) {
    if (!item.is_string())
      return std::string(key) + " must be an array of strings";
    out.push_back(item.get<std::string>());
  }
  return {};
}

std::string read_tool(const json& item, const std::string& where, tool_spec& tool) {
  if (!item.is_object())
    return where + " must be an object";
  if (auto err = read_string(item, "name", tool.name); !err.empty())
    return where + "." + err;
  if (tool.name.empty())
    return where + " has no name";
  if (auto err = read_string(item, "description", tool.description); !err.empty())
    return where + "." + err;
  auto params = item.find("parameters");
  if (params != item.end() && !params->is_null()) {
    if (auto why = check_schema(*params); !why.empty())
      return where + ".parameters: " + why;
    tool.parameters = render_json(*params);
  }
  return {};
}

std::string read_fields(const json& doc, module_metadata& out) {
  auto& md = out.md;
  for (auto [key, field] : {std::pair{"name", &md.name}, {"version", &md.version},
                            {"description", &md.description}})
    if (auto err = read_string(doc, key, *field); !err.empty())
      return err;
  std::string type;
  if (auto err = read_string(doc, "type", type); !err.empty())
    return err;
  if (auto parsed = parse_plugin_type(type))
    md.type = *parsed;
  if (auto err = read_strings(doc, "capabilities", md.capabilities); !err.empty())
    return err;
  if (auto err = read_strings(doc, "dependencies", md.dependencies); !err.empty())
    return err;
  if (auto it = doc.find("priority"); it != doc.end() && !it->is_null()) {
    if (!it->is_number_integer())
      return "priority must be an integer";
    md.priority = it->get<std::int32_t>();
  }
  if (auto err = read_strings(doc, "hooks", md.hooks); !err.empty())
    return err;
  for (const auto& h : md.hooks)
    if (!hook_point_named(h))
      return "hooks: unknown hook point '" + h
             + "' (before_tool_call, after_tool_call, before_model_call, after_model_call)";
  if (auto it = doc.find("hook_priority"); it != doc.end() && !it->is_null()) {
    if (!it->is_number_integer())
      return "hook_priority must be an integer";
    md.hook_priority = it->get<std::int32_t>();
  }
  return {};
}

} // namespace

std::string parse_module_metadata(const std::string& text, module_metadata& out) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return "not valid JSON";
  if (!doc.is_object())
    return "not a JSON object";
  if (auto err = read_fields(doc, out); !err.empty())
    return err;
  auto tools = doc.find("tools");
  if (tools == doc.end() || tools->is_null())
    return {};
  if (!tools->is_array())
    return "tools must be an array";
  for (std::size_t i = 0; i < tools->size(); ++i) {
    tool_spec tool;
    if (auto err = read_tool((*tools)[i], "tools[" + std::to_string(i) + "]", tool); !err.empty())
      return err;
    out.tools.push_back(std::move(tool));
  }
  return {};
}

} // namespace troupe::wasm
