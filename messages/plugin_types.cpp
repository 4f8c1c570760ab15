#include "messages/plugin_types.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace troupe {

namespace {

constexpr std::array<std::pair<plugin_kind, const char*>, 8> known_kinds{{
  {plugin_kind::llm, "llm"},
  {plugin_kind::tool, "tool"},
  {plugin_kind::storage, "storage"},
  {plugin_kind::memory, "memory"},
  {plugin_kind::vector_db, "vector_db"},
  {plugin_kind::communication, "communication"},
  {plugin_kind::monitor, "monitor"},
  {plugin_kind::skill, "skill"},
}};

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

} // namespace

bool operator==(const plugin_type& a, const plugin_type& b) {
  return a.kind == b.kind && (a.kind != plugin_kind::custom || a.custom_name == b.custom_name);
}

std::string to_string(const plugin_type& x) {
  for (const auto& [kind, name] : known_kinds)
    if (kind == x.kind)
      return name;
  return "custom:" + x.custom_name;
}

std::optional<plugin_type> parse_plugin_type(const std::string& text) {
  if (text.empty())
    return std::nullopt;
  auto lower = lowercase(text);
  if (lower == "vectordb")
    lower = "vector_db";
  for (const auto& [kind, name] : known_kinds)
    if (lower == name)
      return plugin_type{kind, {}};
  const std::string prefix = "custom:";
  if (lower.compare(0, prefix.size(), prefix) == 0)
    return plugin_type{plugin_kind::custom, text.substr(prefix.size())};
  return plugin_type{plugin_kind::custom, text};
}

void merge_dependencies(plugin_metadata& md, const std::vector<std::string>& extra) {
  for (const auto& dep : extra)
    if (std::find(md.dependencies.begin(), md.dependencies.end(), dep) == md.dependencies.end())
      md.dependencies.push_back(dep);
}

bool operator==(const plugin_state& a, const plugin_state& b) {
  return a.code == b.code && a.reason == b.reason;
}

std::string to_string(state_code x) {
  switch (x) {
    case state_code::unloaded: return "Unloaded";
    case state_code::loading: return "Loading";
    case state_code::loaded: return "Loaded";
    case state_code::running: return "Running";
    case state_code::paused: return "Paused";
    case state_code::error: return "Error";
  }
  return "Unknown";
}

std::string to_string(const plugin_state& x) {
  if (x.code == state_code::error)
    return "Error(" + x.reason + ")";
  return to_string(x.code);
}

} // namespace troupe
