// Fuzzes the TOML node config reader (node/node_config: parse_node_config with the standard
// kinds). The input is the text of a config file.
//
// Checked: no crash, leak, undefined behaviour or escaping exception (toml++ and the readers must
// answer a config_error value for any text), and every error is a config_error.
//
// Files: parse_node_config writes, creates and deletes nothing; the only files it touches are the
// [cluster] TLS files (ca, cert, key), which it opens for reading when all three are set. So that
// the fuzzer cannot make it open anything else (a FIFO that would block, a device), the config's
// origin is in a directory that does not exist, and an input whose TLS files resolve anywhere
// but below that directory or to /dev/null is skipped (the harness reads the TLS keys with the
// same TOML parser and the reader's own path resolution first).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <toml++/toml.h>

#include "messages/errors.hpp"
#include "node/config_toml.hpp"
#include "node/node_config.hpp"
#include "plugins/kinds/standard_kinds.hpp"

namespace {

/// The config's directory: never created, so no relative path the config names can exist.
const std::string config_dir = "/nonexistent-troupe-fuzz";
const std::string origin = config_dir + "/node.toml";

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_node_config: invariant failed: %s\n", what);
    std::abort();
  }
}

/// True if the reader may open the file `value` names (as a TLS file): below config_dir, or
/// /dev/null. Values that are not strings are refused by the reader before it opens anything.
bool harmless_file(const toml::node_view<const toml::node>& value) {
  auto text = value.value<std::string>();
  if (!value.is_string() || !text)
    return true;
  auto path = troupe::config_toml::resolve_relative(*text, config_dir);
  return path == "/dev/null" || path.rfind(config_dir + "/", 0) == 0;
}

/// True unless `text` names TLS files outside the harmless ones.
bool opens_only_harmless_files(const std::string& text) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error&) {
    return true; // the reader stops at the same error, before opening any file
  }
  const toml::table& view = root;
  const auto cluster = view["cluster"];
  return harmless_file(cluster["ca"]) && harmless_file(cluster["cert"])
         && harmless_file(cluster["key"]);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  require(!std::filesystem::exists(config_dir), "the config directory must not exist");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto kinds = troupe::standard_kinds();
  std::string text(reinterpret_cast<const char*>(data), size);
  if (!opens_only_harmless_files(text))
    return 0;
  auto cfg = troupe::parse_node_config(text, origin, kinds);
  if (!cfg)
    require(troupe::code_name(cfg.error()) == "config_error", "an error other than config_error");
  return 0;
}
