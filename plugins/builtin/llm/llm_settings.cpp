#include "plugins/builtin/llm/llm_settings.hpp"

#include <cstdlib>

#include "messages/errors.hpp"

namespace troupe::builtin {

namespace {

caf::error bad(const std::string& plugin, const std::string& detail) {
  return make_error(errc::config_error, plugin, detail);
}

/// True if `authority` is host, host:port or [v6]:port with a port of 1..65535.
bool valid_authority(const std::string& authority) {
  if (authority.empty())
    return false;
  auto close = authority.rfind(']');
  auto colon = authority.rfind(':');
  if (colon == std::string::npos || (close != std::string::npos && colon < close))
    return authority.front() != ':';
  auto port = authority.substr(colon + 1);
  if (colon == 0 || port.empty() || port.size() > 5
      || port.find_first_not_of("0123456789") != std::string::npos)
    return false;
  auto n = std::stol(port);
  return n >= 1 && n <= 65535;
}

/// Reads an integer setting in [lo, hi]; `fallback` when unset.
caf::expected<std::int64_t> bounded(const plugin_context& ctx, const std::string& key,
                                    std::int64_t fallback, std::int64_t lo, std::int64_t hi) {
  if (!ctx.setting(key))
    return fallback;
  auto v = ctx.int_setting(key);
  if (!v || *v < lo || *v > hi)
    return bad(ctx.plugin_id(), "setting '" + key + "' must be an integer from "
                                  + std::to_string(lo) + " to " + std::to_string(hi) + ", not '"
                                  + *ctx.setting(key) + "'");
  return *v;
}

} // namespace

caf::expected<llm_endpoint> parse_base_url(const std::string& base_url,
                                           const std::string& plugin) {
  llm_endpoint ep;
  std::string rest;
  if (base_url.rfind("https://", 0) == 0) {
    ep.tls = true;
    rest = base_url.substr(8);
  } else if (base_url.rfind("http://", 0) == 0) {
    rest = base_url.substr(7);
  } else {
    return bad(plugin, "setting 'base_url' must start with http:// or https://");
  }
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  auto path = slash == std::string::npos ? std::string{} : rest.substr(slash);
  if (authority.find('@') != std::string::npos)
    return bad(plugin, "setting 'base_url' must not hold user info (put the key in the "
                       "variable api_key_env names)");
  if (path.find_first_of("?#") != std::string::npos)
    return bad(plugin, "setting 'base_url' must not have a query or a fragment");
  if (!valid_authority(authority))
    return bad(plugin, "setting 'base_url' has no valid host[:port]: '" + base_url + "'");
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  ep.origin = (ep.tls ? "https://" : "http://") + authority;
  ep.path = path + "/chat/completions";
  ep.display_url = ep.origin + ep.path;
  return ep;
}

caf::expected<llm_settings> read_llm_settings(const plugin_context& ctx) {
  const auto& id = ctx.plugin_id();
  llm_settings s;
  auto url = ctx.setting("base_url");
  if (!url || url->empty())
    return bad(id, "setting 'base_url' is required (e.g. https://api.openai.com/v1)");
  auto ep = parse_base_url(*url, id);
  if (!ep)
    return std::move(ep.error());
  s.endpoint = std::move(*ep);
  s.model = ctx.setting_or("model", "");
  s.api_key_env = ctx.setting_or("api_key_env", "");
  s.ca_file = ctx.setting_or("ca_file", "");
  if (!s.api_key_env.empty()) {
    const char* key = std::getenv(s.api_key_env.c_str());
    if (key == nullptr || *key == '\0')
      return bad(id, "setting 'api_key_env' names the environment variable '" + s.api_key_env
                       + "', which is not set or empty");
    s.api_key = key;
  }
  auto timeout = bounded(ctx, "timeout_ms", 60000, 1, 3600000);
  auto retries = bounded(ctx, "retries", 2, 0, 10);
  auto backoff = bounded(ctx, "backoff_ms", 500, 0, 600000);
  auto max_backoff = bounded(ctx, "max_backoff_ms", 30000, 0, 600000);
  auto max_body = bounded(ctx, "max_body_bytes", 8 << 20, 1024, 1 << 30);
  auto hook_timeout = bounded(ctx, "hook_timeout_ms", 5000, 1, 600000);
  for (auto* v : {&timeout, &retries, &backoff, &max_backoff, &max_body, &hook_timeout})
    if (!*v)
      return std::move(v->error());
  s.timeout = std::chrono::milliseconds{*timeout};
  s.retries = static_cast<int>(*retries);
  s.backoff = std::chrono::milliseconds{*backoff};
  s.max_backoff = std::chrono::milliseconds{*max_backoff};
  s.max_body_bytes = static_cast<std::size_t>(*max_body);
  s.hook_timeout = std::chrono::milliseconds{*hook_timeout};
  return s;
}

} // namespace troupe::builtin
