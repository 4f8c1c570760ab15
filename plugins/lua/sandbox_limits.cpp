#include "plugins/lua/sandbox_limits.hpp"

#include <cctype>
#include <limits>

#include "messages/errors.hpp"

namespace troupe::lua {

namespace {

constexpr const char* known_names =
  "wall_time_ms, instructions, memory, call_depth, string_size, call_timeout_ms";

caf::error bad(const std::string& name, const std::string& value, const std::string& why) {
  return make_error(errc::config_error, "",
                    "limit " + name + "=" + value + ": " + why);
}

/// Splits "64M" into 64 and "m"; false if there is no leading number or it overflows.
bool split_number(const std::string& text, std::uint64_t& number, std::string& suffix) {
  std::size_t i = 0;
  number = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (number > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
      return false;
    number = number * 10 + digit;
    ++i;
  }
  if (i == 0)
    return false;
  suffix.clear();
  for (; i < text.size(); ++i)
    if (!std::isspace(static_cast<unsigned char>(text[i])))
      suffix += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
  return true;
}

caf::expected<std::uint64_t> parse_size(const std::string& name, const std::string& value) {
  std::uint64_t n = 0;
  std::string suffix;
  if (!split_number(value, n, suffix))
    return bad(name, value, "expected a non-negative integer with an optional K, M or G suffix");
  int shift = 0;
  if (suffix.empty() || suffix == "b")
    shift = 0;
  else if (suffix == "k" || suffix == "kb" || suffix == "kib")
    shift = 10;
  else if (suffix == "m" || suffix == "mb" || suffix == "mib")
    shift = 20;
  else if (suffix == "g" || suffix == "gb" || suffix == "gib")
    shift = 30;
  else
    return bad(name, value, "unknown size suffix '" + suffix + "' (use K, M or G)");
  if (n > (std::numeric_limits<std::uint64_t>::max() >> shift))
    return bad(name, value, "too large");
  return n << shift;
}

caf::expected<std::chrono::milliseconds> parse_millis(const std::string& name,
                                                      const std::string& value) {
  std::uint64_t n = 0;
  std::string suffix;
  if (!split_number(value, n, suffix))
    return bad(name, value, "expected a non-negative number of milliseconds");
  if (suffix == "s")
    n *= 1000;
  else if (!suffix.empty() && suffix != "ms")
    return bad(name, value, "unknown time suffix '" + suffix + "' (use ms or s)");
  if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / 1000))
    return bad(name, value, "too large");
  return std::chrono::milliseconds(static_cast<std::int64_t>(n));
}

} // namespace

caf::error set_limit(sandbox_limits& limits, const std::string& name, const std::string& value) {
  if (name == "wall_time_ms" || name == "call_timeout_ms") {
    auto ms = parse_millis(name, value);
    if (!ms)
      return std::move(ms.error());
    (name == "wall_time_ms" ? limits.wall_time : limits.call_timeout) = *ms;
    return {};
  }
  if (name == "instructions" || name == "memory" || name == "string_size"
      || name == "call_depth") {
    auto n = parse_size(name, value);
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
