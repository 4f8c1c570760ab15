#pragma once
// Typed fields of a msgpack request map, for the built-in plugins: every missing or mistyped
// field becomes a bad_input error that names the plugin and the field.

#include <cstdint>
#include <optional>
#include <string>

#include <caf/expected.hpp>
#include <msgpack.hpp>

namespace troupe::builtin {

/// Reads the fields of one request map. Holds a reference: `map` must outlive the reader.
class request_reader {
public:
  /// `plugin` names the plugin in errors. `map` need not be a map (is_map() says).
  request_reader(const msgpack::object& map, std::string plugin);

  /// True if the request is a msgpack map.
  bool is_map() const;

  /// True if `key` is present (with any value, nil included).
  bool has(const char* key) const;

  /// A required string of at most `max_bytes` bytes, valid UTF-8 (empty allowed unless
  /// `non_empty`).
  caf::expected<std::string> text(const char* key, std::size_t max_bytes,
                                  bool non_empty = true) const;

  /// An optional string (absent or nil: nullopt), as text() checks it.
  caf::expected<std::optional<std::string>> optional_text(const char* key,
                                                          std::size_t max_bytes) const;

  /// An optional integer in [min, max] (absent or nil: nullopt).
  caf::expected<std::optional<std::int64_t>> optional_int(const char* key, std::int64_t min,
                                                          std::int64_t max) const;

  /// An optional boolean (absent or nil: nullopt).
  caf::expected<std::optional<bool>> optional_bool(const char* key) const;

  /// An optional number, integer or float (absent or nil: nullopt).
  caf::expected<std::optional<double>> optional_number(const char* key) const;

  /// The request object itself.
  const msgpack::object& root() const { return map_; }

  /// A bad_input error naming the plugin with `detail`.
  caf::error bad(const std::string& detail) const;

private:
  const msgpack::object* field(const char* key) const;

  const msgpack::object& map_;
  std::string plugin_;
};

} // namespace troupe::builtin
