#pragma once
// Turning C++ values into payloads and back with msgpack-c. Decoding never throws: malformed bytes
// come back as a bad_input error.

#include <string>
#include <string_view>

#include <caf/expected.hpp>
#include <msgpack.hpp>

#include "messages/errors.hpp"
#include "messages/payload.hpp"

namespace troupe {

/// A msgpack-c stream that appends to a payload's bytes (no intermediate buffer: msgpack-c's
/// sbuffer starts at 8 KiB, which costs more than small values take to pack).
struct payload_writer {
  std::vector<std::uint8_t>& bytes;
  void write(const char* data, std::size_t n) {
    bytes.insert(bytes.end(), reinterpret_cast<const std::uint8_t*>(data),
                 reinterpret_cast<const std::uint8_t*>(data) + n);
  }
};

/// Packs any msgpack-c packable value into a payload.
template <class T>
payload pack(const T& value) {
  payload out;
  out.bytes.reserve(32);
  payload_writer writer{out.bytes};
  msgpack::pack(writer, value);
  return out;
}

/// The deepest nesting of arrays and maps a payload may have; deeper ones are bad_input.
constexpr std::size_t max_payload_depth = 256;

/// A payload holding msgpack nil.
payload nil_payload();

/// As unpack, with the objects allocated in `zone` (which the caller may reuse after clear()).
/// With `reference`, strings and binaries point into `in` instead of being copied: `in` must
/// then outlive the object.
caf::expected<msgpack::object> unpack_in(msgpack::zone& zone, const payload& in,
                                         const std::string& plugin, bool reference);

/// Clears a reused zone when it goes out of scope (pair with unpack_in and a thread_local zone).
struct zone_clearer {
  msgpack::zone& zone;
  ~zone_clearer() { zone.clear(); }
};

/// Decodes a payload into a msgpack object tree. `plugin` names who is decoding, for the error.
/// The payload must hold exactly one msgpack document (trailing bytes are bad_input), nested at
/// most max_payload_depth deep, with no container claiming more elements than it has bytes.
caf::expected<msgpack::object_handle> unpack(const payload& in, const std::string& plugin = {});

/// The value under string key `key` in a msgpack map, or null if `map` is no map or lacks the key.
/// The pointer lives as long as the object tree.
const msgpack::object* map_field(const msgpack::object& map, std::string_view key);

/// Re-encodes one msgpack object (e.g. a field of a decoded request) as a payload of its own.
payload pack_object(const msgpack::object& value);

/// Decodes a payload and converts it to T (e.g. std::string, std::map<std::string, int>).
template <class T>
caf::expected<T> unpack_as(const payload& in, const std::string& plugin = {}) {
  auto handle = unpack(in, plugin);
  if (!handle)
    return std::move(handle.error());
  try {
    return handle->get().as<T>();
  } catch (const std::exception& e) {
    return make_error(errc::bad_input, plugin, std::string("payload has the wrong type: ") + e.what());
  }
}

} // namespace troupe
