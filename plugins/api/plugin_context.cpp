#include "plugins/api/plugin_context.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace troupe {

plugin_context::plugin_context(plugin_config config, std::shared_ptr<shared_state> shared)
  : config_(std::move(config)), shared_(std::move(shared)) {
}

std::optional<std::string> plugin_context::setting(const std::string& key) const {
  auto i = config_.settings.find(key);
  if (i == config_.settings.end())
    return std::nullopt;
  return i->second;
}

std::string plugin_context::setting_or(const std::string& key, const std::string& fallback) const {
  return setting(key).value_or(fallback);
}

std::optional<std::int64_t> plugin_context::int_setting(const std::string& key) const {
  auto text = setting(key);
  if (!text || text->empty())
    return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size())
    return std::nullopt;
  return value;
}

std::optional<bool> plugin_context::bool_setting(const std::string& key) const {
  auto text = setting(key);
  if (!text)
    return std::nullopt;
  std::string lower = *text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on")
    return true;
  if (lower == "false" || lower == "0" || lower == "no" || lower == "off")
    return false;
  return std::nullopt;
}

} // namespace troupe
