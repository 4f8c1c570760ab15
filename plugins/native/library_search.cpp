#include "plugins/native/library_search.hpp"

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <vector>

#include "messages/errors.hpp"

namespace fs = std::filesystem;

namespace troupe {

namespace {

/// The directories a bare library name is searched in, in order.
std::vector<fs::path> search_path(const plugin_spec& spec, const fs::path& base) {
  std::vector<fs::path> dirs;
  for (const auto& d : spec.search_dirs)
    dirs.push_back(fs::path(d).is_absolute() ? fs::path(d) : base / d);
  if (const char* env = std::getenv("TROUPE_PLUGIN_PATH")) {
    std::stringstream list{env};
    for (std::string d; std::getline(list, d, ':');)
      if (!d.empty())
        dirs.emplace_back(d);
  }
  if (auto exe = program_dir(); !exe.empty()) {
    dirs.push_back(fs::path(exe) / ".." / "plugins");
    dirs.push_back(fs::path(exe) / ".." / "lib" / "troupe" / "plugins");
  }
  return dirs;
}

} // namespace

std::string program_dir() {
  std::error_code ec;
  auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string{} : self.parent_path().string();
}

caf::expected<std::string> resolve_library(const plugin_spec& spec) {
  auto base = spec.base_dir.empty() ? fs::current_path() : fs::absolute(spec.base_dir);
  auto library = spec.key("library");
  fs::path given{library};
  if (given.has_parent_path() || given.extension() == ".so") {
    auto full = given.is_absolute() ? given : base / given;
    if (fs::exists(full))
      return full.lexically_normal().string();
    return make_error(errc::not_found, spec.config.id,
                      "no plugin library at '" + full.lexically_normal().string() + "'");
  }
  std::string looked;
  for (const auto& dir : search_path(spec, base)) {
    for (const auto& file : {"lib" + library + ".so", library}) {
      auto candidate = (dir / file).lexically_normal();
      if (fs::is_regular_file(candidate))
        return candidate.string();
    }
    looked += (looked.empty() ? "" : ", ") + dir.lexically_normal().string();
  }
  return make_error(errc::not_found, spec.config.id,
                    "no library 'lib" + library + ".so' in the plugin directories ("
                      + (looked.empty() ? "none" : looked) + ")");
}

} // namespace troupe
