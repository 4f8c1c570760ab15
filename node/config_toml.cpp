#include "node/config_toml.hpp"

#include <filesystem>
#include <sstream>

#include "messages/errors.hpp"

namespace troupe::config_toml {

std::string where(const std::string& origin, const toml::node& node) {
  const auto& src = node.source();
  return origin + ":" + std::to_string(src.begin.line);
}

caf::error bad(const std::string& origin, const toml::node& node, const std::string& what) {
  return make_error(errc::config_error, "", where(origin, node) + ": " + what);
}

std::optional<std::int64_t> integer_value(const toml::node& node) {
  if (const auto* integer = node.as_integer())
    return integer->get();
  return std::nullopt;
}

std::optional<std::string> scalar_text(const toml::node& node) {
  if (auto s = node.value<std::string>(); s && node.is_string())
    return *s;
  if (node.is_integer())
    return std::to_string(*integer_value(node));
  if (node.is_boolean())
    return *node.value<bool>() ? "true" : "false";
  if (node.is_floating_point()) {
    std::ostringstream out;
    out << *node.value<double>();
    return out.str();
  }
  return std::nullopt;
}

std::string expand(std::string text, const std::string& config_dir) {
  const std::string token = "{config_dir}";
  for (auto pos = text.find(token); pos != std::string::npos; pos = text.find(token, pos))
    text.replace(pos, token.size(), config_dir), pos += config_dir.size();
  return text;
}

std::string resolve_relative(const std::string& path, const std::string& config_dir) {
  std::filesystem::path given{path};
  if (given.is_absolute() || config_dir.empty())
    return path;
  return (std::filesystem::path(config_dir) / given).lexically_normal().string();
}

caf::expected<std::vector<std::string>> string_list(const std::string& origin,
                                                    const toml::node& node, const char* key) {
  std::vector<std::string> result;
  const auto* arr = node.as_array();
  if (arr == nullptr)
    return bad(origin, node, std::string("'") + key + "' must be an array of strings");
  for (const auto& item : *arr) {
    if (!item.is_string())
      return bad(origin, item, std::string("'") + key + "' must be an array of strings");
    result.push_back(*item.value<std::string>());
  }
  return result;
}

} // namespace troupe::config_toml
