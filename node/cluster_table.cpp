#include "node/cluster_table.hpp"

#include <fstream>

#include "cluster/transport.hpp"
#include "messages/errors.hpp"
#include "node/config_toml.hpp"

namespace troupe {

using namespace config_toml;

namespace {

caf::error read_duration(const std::string& origin, const std::string& k, const toml::node& value,
                         std::uint32_t& out) {
  auto n = integer_value(value);
  if (!n || *n < 1 || *n > 3600000)
    return bad(origin, value, "'cluster." + k + "' must be an integer from 1 to 3600000 (ms)");
  out = static_cast<std::uint32_t>(*n);
  return {};
}

caf::error read_address(const std::string& origin, const std::string& k, const toml::node& value,
                        cluster_config& out) {
  if (k == "seeds") {
    auto seeds = string_list(origin, value, "cluster.seeds");
    if (!seeds)
      return std::move(seeds.error());
    for (const auto& s : *seeds)
      if (auto hp = parse_host_port(s); !hp)
        return bad(origin, value, "'cluster.seeds': " + detail_of(hp.error()));
    out.seeds = std::move(*seeds);
    return {};
  }
  if (!value.is_string())
    return bad(origin, value, "'cluster.listen' must be a string \"host:port\"");
  auto hp = parse_host_port(*value.value<std::string>(), true);
  if (!hp)
    return bad(origin, value, "'cluster.listen': " + detail_of(hp.error()));
  out.host = hp->first;
  out.port = hp->second;
  out.listen = true;
  return {};
}

/// The TLS files: all three or none, each readable.
caf::error check_tls(const std::string& origin, const toml::table& t, const cluster_config& c) {
  int given = !c.ca.empty() + !c.cert.empty() + !c.key.empty();
  if (given != 0 && given != 3)
    return bad(origin, t, "[cluster] needs all three of 'ca', 'cert' and 'key' for TLS, or none");
  for (const auto* f : {&c.ca, &c.cert, &c.key})
    if (!f->empty() && !std::ifstream(*f))
      return bad(origin, t, "[cluster] cannot read the TLS file '" + *f + "'");
  return {};
}

} // namespace

caf::error read_cluster_table(const std::string& origin, const std::string& config_dir,
                              const toml::table& t, cluster_config& out) {
  for (const auto& [key, value] : t) {
    std::string k{key.str()};
    caf::error err;
    if (k == "listen" || k == "seeds") {
      err = read_address(origin, k, value, out);
    } else if (k == "heartbeat_ms") {
      err = read_duration(origin, k, value, out.heartbeat_ms);
    } else if (k == "node_timeout_ms") {
      err = read_duration(origin, k, value, out.node_timeout_ms);
    } else if (k == "rejoin_ms") {
      err = read_duration(origin, k, value, out.rejoin_ms);
    } else if (k == "ca" || k == "cert" || k == "key") {
      if (!value.is_string())
        return bad(origin, value, "'cluster." + k + "' must be a file path");
      auto path = resolve_relative(*value.value<std::string>(), config_dir);
      (k == "ca" ? out.ca : k == "cert" ? out.cert : out.key) = path;
    } else {
      return bad(origin, value,
                 "unknown key 'cluster." + k
                   + "' (expected listen, seeds, heartbeat_ms, node_timeout_ms, rejoin_ms, ca, "
                     "cert, key)");
    }
    if (err)
      return err;
  }
  if (out.node_timeout_ms <= out.heartbeat_ms)
    return bad(origin, t, "'cluster.node_timeout_ms' must be longer than 'cluster.heartbeat_ms'");
  return check_tls(origin, t, out);
}

} // namespace troupe
