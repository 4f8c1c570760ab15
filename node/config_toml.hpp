#pragma once
// Helpers shared by the readers of a node config's tables (TOML, via toml++): errors that name
// the file and line, scalar values as text, and paths relative to the config file.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <toml++/toml.h>

namespace troupe::config_toml {

/// "origin:line" of `node`.
std::string where(const std::string& origin, const toml::node& node);

/// A config_error "origin:line: what".
caf::error bad(const std::string& origin, const toml::node& node, const std::string& what);

/// The node's value if it is a TOML integer, else nullopt. A float is never converted: toml++
/// 3.3's value<int64_t>() casts one to an integer, undefined behaviour when it is out of range.
std::optional<std::int64_t> integer_value(const toml::node& node);

/// A scalar rendered as text ("8080", "true", "0.5", "text"); nullopt for tables and arrays.
std::optional<std::string> scalar_text(const toml::node& node);

/// `text` with every "{config_dir}" replaced by `config_dir`.
std::string expand(std::string text, const std::string& config_dir);

/// A path as written if absolute (or if config_dir is empty), else anchored at config_dir.
std::string resolve_relative(const std::string& path, const std::string& config_dir);

/// An array of strings; config_error naming `key` otherwise.
caf::expected<std::vector<std::string>> string_list(const std::string& origin,
                                                    const toml::node& node, const char* key);

} // namespace troupe::config_toml
