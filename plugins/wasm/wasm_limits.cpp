#include "plugins/wasm/wasm_limits.hpp"

#include "messages/errors.hpp"
#include "plugins/api/limit_values.hpp"

namespace troupe::wasm {

namespace {

/// The most pages a 32-bit memory has.
constexpr std::uint64_t max_pages = 65536;

} // namespace

caf::error set_limit(module_limits& limits, const std::string& name, const std::string& value) {
  if (name == "wall_time_ms") {
    auto ms = parse_limit_millis(name, value);
    if (!ms)
      return std::move(ms.error());
    limits.wall_time = *ms;
    return {};
  }
  if (name == "fuel" || name == "memory_pages" || name == "module_size") {
    auto n = parse_limit_size(name, value);
    if (!n)
      return std::move(n.error());
    if (name == "fuel") {
      limits.fuel = *n;
    } else if (name == "module_size") {
      limits.module_bytes = static_cast<std::size_t>(*n);
    } else {
      if (*n == 0 || *n > max_pages)
        return make_error(errc::config_error, "",
                          "limit memory_pages=" + value + ": between 1 and 65536 (64 KiB pages)");
      limits.memory_pages = static_cast<std::uint32_t>(*n);
    }
    return {};
  }
  return make_error(errc::config_error, "", "unknown WebAssembly limit '" + name
                                              + "' (known: fuel, wall_time_ms, memory_pages, module_size)");
}

caf::expected<module_limits>
limits_from_settings(const std::map<std::string, std::string>& settings, module_limits base) {
  const std::string prefix = "limit.";
  for (const auto& [key, value] : settings)
    if (key.compare(0, prefix.size(), prefix) == 0)
      if (auto err = set_limit(base, key.substr(prefix.size()), value))
        return err;
  return base;
}

} // namespace troupe::wasm
