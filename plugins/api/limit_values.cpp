#include "plugins/api/limit_values.hpp"

#include <cctype>
#include <limits>

#include "messages/errors.hpp"

namespace troupe {

namespace {

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

}

caf::expected<std::uint64_t> parse_limit_size(const std::string& name, const std::string& value) {
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

caf::expected<std::chrono::milliseconds> parse_limit_millis(const std::string& name,
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

} // namespace troupe
