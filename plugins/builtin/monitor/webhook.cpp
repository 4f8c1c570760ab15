#include "plugins/builtin/monitor/webhook.hpp"

#include <httplib.h>

#include "messages/errors.hpp"

namespace troupe::builtin {

caf::expected<webhook_target> parse_webhook_url(const std::string& url,
                                                const std::string& plugin_id) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0)
    return make_error(errc::config_error, plugin_id,
                      "setting 'webhook_url' must start with http:// (https is not built in), not '"
                        + url + "'");
  auto slash = url.find('/', scheme.size());
  auto authority = url.substr(scheme.size(), slash == std::string::npos ? std::string::npos
                                                                        : slash - scheme.size());
  if (authority.empty() || authority.front() == ':')
    return make_error(errc::config_error, plugin_id,
                      "setting 'webhook_url' has no host: '" + url + "'");
  webhook_target t;
  bool has_port = authority.find(':') != std::string::npos && authority.back() != ']';
  t.origin = scheme + authority + (has_port ? "" : ":80");
  t.path = slash == std::string::npos ? "/" : url.substr(slash);
  return t;
}

caf::error post_webhook(const webhook_target& target, const std::string& json_body,
                        std::chrono::milliseconds timeout, const std::string& plugin_id) {
  try {
    httplib::Client client{target.origin};
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    auto res = client.Post(target.path, json_body, "application/json");
    if (!res)
      return make_error(errc::plugin_failed, plugin_id,
                        "webhook " + target.origin + target.path + ": "
                          + httplib::to_string(res.error()));
    if (res->status < 200 || res->status >= 300)
      return make_error(errc::plugin_failed, plugin_id,
                        "webhook " + target.origin + target.path + " answered HTTP "
                          + std::to_string(res->status));
    return {};
  } catch (const std::exception& e) {
    return make_error(errc::plugin_failed, plugin_id,
                      "webhook " + target.origin + target.path + ": " + e.what());
  }
}

} // namespace troupe::builtin
