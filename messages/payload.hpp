#pragma once
// The execute payload: an opaque msgpack document carried as bytes, so that values survive every
// hop (CAF 0.17 corrupts NaN and infinity in its own serialization; bytes are untouched).

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace troupe {

/// A msgpack-encoded value. Empty bytes are not a valid msgpack document; use pack(nil) for "no value".
struct payload {
  std::vector<std::uint8_t> bytes;
};

inline bool operator==(const payload& a, const payload& b) { return a.bytes == b.bytes; }
inline bool operator!=(const payload& a, const payload& b) { return !(a == b); }

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, payload& x) {
  return f(caf::meta::type_name("troupe::payload"), x.bytes);
}

} // namespace troupe
