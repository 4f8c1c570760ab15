#include "plugins/api/file_kind.hpp"

namespace troupe {

kind_definition file_kind(std::string name, std::string file_key, std::string pattern,
                          std::function<std::string(const std::string&)> id_for_file,
                          std::function<caf::error(const std::map<std::string, std::string>&)>
                            check_limits) {
  kind_definition k;
  k.name = std::move(name);
  k.keys = {{file_key, key_type::path, true, {}}, {"limits", key_type::table, false, "limit."}};
  k.selecting_key = file_key;
  k.file_key = file_key;
  k.watch_patterns = {std::move(pattern)};
  k.check = [check_limits](const plugin_spec& spec) { return check_limits(spec.config.settings); };
  k.spec_for_file = [file_key, id_for_file](const std::string& path) {
    plugin_spec spec;
    spec.config.id = id_for_file(path);
    spec.keys[file_key] = path;
    return spec;
  };
  return k;
}

} // namespace troupe
