#include "plugins/builtin/request_reader.hpp"

#include <cstdint>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/utf8.hpp"

namespace troupe::builtin {

request_reader::request_reader(const msgpack::object& map, std::string plugin)
  : map_(map), plugin_(std::move(plugin)) {}

bool request_reader::is_map() const {
  return map_.type == msgpack::type::MAP;
}

const msgpack::object* request_reader::field(const char* key) const {
  const auto* o = map_field(map_, key);
  return o == nullptr || o->type == msgpack::type::NIL ? nullptr : o;
}

bool request_reader::has(const char* key) const {
  return map_field(map_, key) != nullptr;
}

caf::error request_reader::bad(const std::string& detail) const {
  return make_error(errc::bad_input, plugin_, detail);
}

caf::expected<std::string> request_reader::text(const char* key, std::size_t max_bytes,
                                                bool non_empty) const {
  const auto* o = field(key);
  if (o == nullptr)
    return bad(std::string("missing string \"") + key + "\"");
  if (o->type != msgpack::type::STR)
    return bad(std::string("\"") + key + "\" must be a string");
  std::string value(o->via.str.ptr, o->via.str.size);
  if (non_empty && value.empty())
    return bad(std::string("\"") + key + "\" must not be empty");
  if (value.size() > max_bytes)
    return bad(std::string("\"") + key + "\" is " + std::to_string(value.size())
               + " bytes, more than the limit of " + std::to_string(max_bytes));
  if (!is_valid_utf8(value))
    return bad(std::string("\"") + key + "\" is not valid UTF-8");
  return value;
}

caf::expected<std::optional<std::string>> request_reader::optional_text(const char* key,
                                                                        std::size_t max_bytes) const {
  if (field(key) == nullptr)
    return std::optional<std::string>{};
  auto value = text(key, max_bytes, false);
  if (!value)
    return std::move(value.error());
  return std::optional<std::string>{std::move(*value)};
}

caf::expected<std::optional<std::int64_t>>
request_reader::optional_int(const char* key, std::int64_t min, std::int64_t max) const {
  const auto* o = field(key);
  if (o == nullptr)
    return std::optional<std::int64_t>{};
  std::int64_t value = 0;
  bool in_range = false;
  if (o->type == msgpack::type::POSITIVE_INTEGER) {
    in_range = o->via.u64 <= static_cast<std::uint64_t>(INT64_MAX);
    value = in_range ? static_cast<std::int64_t>(o->via.u64) : 0;
  } else if (o->type == msgpack::type::NEGATIVE_INTEGER) {
    in_range = true;
    value = o->via.i64;
  } else {
    return bad(std::string("\"") + key + "\" must be an integer");
  }
  if (!in_range || value < min || value > max)
    return bad(std::string("\"") + key + "\" must be between " + std::to_string(min) + " and "
               + std::to_string(max));
  return std::optional<std::int64_t>{value};
}

caf::expected<std::optional<bool>> request_reader::optional_bool(const char* key) const {
  const auto* o = field(key);
  if (o == nullptr)
    return std::optional<bool>{};
  if (o->type != msgpack::type::BOOLEAN)
    return bad(std::string("\"") + key + "\" must be a boolean");
  return std::optional<bool>{o->via.boolean};
}

caf::expected<std::optional<double>> request_reader::optional_number(const char* key) const {
  const auto* o = field(key);
  if (o == nullptr)
    return std::optional<double>{};
  switch (o->type) {
    case msgpack::type::POSITIVE_INTEGER: return std::optional<double>{static_cast<double>(o->via.u64)};
    case msgpack::type::NEGATIVE_INTEGER: return std::optional<double>{static_cast<double>(o->via.i64)};
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return std::optional<double>{o->via.f64};
    default: return bad(std::string("\"") + key + "\" must be a number");
  }
}

} // namespace troupe::builtin
