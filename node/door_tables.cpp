#include "node/door_tables.hpp"

#include <functional>
#include <map>

#include "cluster/transport.hpp"
#include "messages/errors.hpp"
#include "node/config_toml.hpp"

namespace troupe {

using namespace config_toml;

namespace {

/// Reads one key's value; the key's full name ("gateway.token") for errors.
using key_reader = std::function<caf::error(const std::string& origin, const std::string& name,
                                            const toml::node& value)>;

caf::error read_listen(const std::string& origin, const std::string& name,
                       const toml::node& value, bool& listen, std::string& host,
                       std::uint16_t& port) {
  if (!value.is_string())
    return bad(origin, value, "'" + name + "' must be a string \"host:port\"");
  auto hp = parse_host_port(*value.value<std::string>(), true);
  if (!hp)
    return bad(origin, value, "'" + name + "': " + detail_of(hp.error()));
  host = hp->first;
  port = hp->second;
  listen = true;
  return {};
}

template <class Int>
key_reader integer_in(Int& out, std::int64_t lo, std::int64_t hi, const char* unit) {
  return [&out, lo, hi, unit](const std::string& origin, const std::string& name,
                              const toml::node& value) -> caf::error {
    auto n = integer_value(value);
    if (!n || *n < lo || *n > hi)
      return bad(origin, value,
                 "'" + name + "' must be an integer from " + std::to_string(lo) + " to "
                   + std::to_string(hi) + " (" + unit + ")");
    out = static_cast<Int>(*n);
    return {};
  };
}

key_reader text(std::string& out) {
  return [&out](const std::string& origin, const std::string& name,
                const toml::node& value) -> caf::error {
    if (!value.is_string())
      return bad(origin, value, "'" + name + "' must be a string");
    out = *value.value<std::string>();
    return {};
  };
}

/// Reads every key of `t` with its reader; an unknown key names the keys there are.
caf::error read_keys(const std::string& origin, const std::string& table, const toml::table& t,
                     const std::map<std::string, key_reader>& readers) {
  for (const auto& [key, value] : t) {
    std::string k{key.str()};
    auto it = readers.find(k);
    if (it == readers.end()) {
      std::string known;
      for (const auto& [name, _] : readers)
        known += (known.empty() ? "" : ", ") + name;
      return bad(origin, value, "unknown key '" + table + "." + k + "' (expected " + known + ")");
    }
    if (auto err = it->second(origin, table + "." + k, value))
      return err;
  }
  return {};
}

constexpr std::int64_t max_bytes = std::int64_t{1} << 30;
constexpr std::int64_t max_ms = 86400000;

} // namespace

caf::error read_gateway_table(const std::string& origin, const toml::table& t,
                              gateway_config& out) {
  std::map<std::string, key_reader> readers{
    {"listen",
     [&out](const std::string& o, const std::string& n, const toml::node& v) {
       return read_listen(o, n, v, out.listen, out.host, out.port);
     }},
    {"token", text(out.token)},
    {"max_frame_bytes", integer_in(out.max_frame_bytes, 64, max_bytes, "bytes")},
    {"max_in_flight", integer_in(out.max_in_flight, 1, 1000000, "requests")},
    {"idle_timeout_ms", integer_in(out.idle_timeout_ms, 1, max_ms, "ms")},
    {"call_timeout_ms", integer_in(out.call_timeout_ms, 1, max_ms, "ms")},
    {"poll_us", integer_in(out.poll_us, 0, 1000000, "us")},
  };
  return read_keys(origin, "gateway", t, readers);
}

caf::error read_http_table(const std::string& origin, const toml::table& t, http_config& out) {
  std::map<std::string, key_reader> readers{
    {"listen",
     [&out](const std::string& o, const std::string& n, const toml::node& v) {
       return read_listen(o, n, v, out.listen, out.host, out.port);
     }},
    {"token", text(out.token)},
    {"metrics_need_token",
     [&out](const std::string& o, const std::string& n, const toml::node& v) -> caf::error {
       if (!v.is_boolean())
         return bad(o, v, "'" + n + "' must be true or false");
       out.metrics_need_token = *v.value<bool>();
       return {};
     }},
    {"allowed_origins",
     [&out](const std::string& o, const std::string&, const toml::node& v) -> caf::error {
       auto list = string_list(o, v, "http.allowed_origins");
       if (!list)
         return std::move(list.error());
       out.allowed_origins = std::move(*list);
       return {};
     }},
    {"call_timeout_ms", integer_in(out.call_timeout_ms, 1, max_ms, "ms")},
    {"max_body_bytes", integer_in(out.max_body_bytes, 64, max_bytes, "bytes")},
  };
  return read_keys(origin, "http", t, readers);
}

} // namespace troupe
