#include "plugins/lua/sandbox_limits.hpp"

#include <cctype>
#include <limits>

#include "messages/errors.hpp"
#include "plugins/api/limit_values.hpp"

namespace troupe::lua {

namespace {

constexpr const char* known_names =
  "wall_time_ms, instructions, memory, call_depth, string_size, call_timeout_ms";

caf::error bad(const std::string& name, const std::string& value, const std::string& why) {
  return make_error(errc::config_error, "",
                    "limit " + name + "=" + value + ": " + why);
}

} // namespace

caf::error set_limit(sandbox_limits& limits, const std::string& name, const std::string& value) {
  if (name == "wall_time_ms" || name == "call_timeout_ms") {
    auto ms = parse_limit_millis(name, value);
    if (!ms)
      return std::move(ms.error());
    (name == "wall_time_ms" ? limits.wall_time : limits.call_timeout) = *ms;
    return {};
  }
  if (name == "instructions" || name == "memory" || name == "string_size"
      || name == "call_depth") {
    auto n = parse_limit_size(name, value);
    if (!n)
      return std::move(n.error());
    if (name == "instructions")
      limits.instructions = *n;
    else if (name == "memory")
      limits.memory = static_cast<std::size_t>(*n);
    else if (name == "string_size")
      limits.string_size = static_cast<std::size_t>(*n);
    else if (*n > 100000)
      return bad(name, value, "at most 100000");
    else
      limits.call_depth = static_cast<std::uint32_t>(*n);
    return {};
  }
  return make_error(errc::config_error, "",
                    "unknown limit '" + name + "' (known: " + known_names + ")");
}

caf::expected<sandbox_limits>
limits_from_settings(const std::map<std::string, std::string>& settings, sandbox_limits base) {
  sandbox_limits limits = base;
  const std::string prefix = "limit.";
  for (const auto& [key, value] : settings)
    if (key.compare(0, prefix.size(), prefix) == 0)
      if (auto err = set_limit(limits, key.substr(prefix.size()), value))
        return err;
  return limits;
}

std::map<std::string, std::string> describe_limits(const sandbox_limits& limits) {
  return {{"wall_time_ms", std::to_string(limits.wall_time.count())},
          {"instructions", std::to_string(limits.instructions)},
          {"memory", std::to_string(limits.memory)},
          {"call_depth", std::to_string(limits.call_depth)},
          {"string_size", std::to_string(limits.string_size)},
          {"call_timeout_ms", std::to_string(limits.call_timeout.count())}};
}

} // namespace troupe::lua
