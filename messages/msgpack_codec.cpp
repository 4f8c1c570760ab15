#include "messages/msgpack_codec.hpp"

#include <algorithm>
#include <cstdint>

namespace troupe {

payload nil_payload() {
  return payload{{0xc0}};
}

namespace {

bool always_reference(msgpack::type::object_type, std::size_t, void*) {
  return true;
}

} // namespace

caf::expected<msgpack::object> unpack_in(msgpack::zone& zone, const payload& in,
                                         const std::string& plugin, bool reference) {
  if (in.bytes.empty())
    return make_error(errc::bad_input, plugin, "empty payload: expected one msgpack value");
  try {
    std::size_t offset = 0;
    bool referenced = false;
    // Every element takes at least one byte, so limiting counts to the payload's size rejects
    // nothing valid but stops a 5-byte header from claiming 4 billion elements.
    auto n = static_cast<std::uint32_t>(std::min<std::size_t>(in.bytes.size(), UINT32_MAX));
    msgpack::unpack_limit limit(n, n / 2, n, n, n, max_payload_depth);
    auto object = msgpack::unpack(zone, reinterpret_cast<const char*>(in.bytes.data()),
                                  in.bytes.size(), offset, referenced,
                                  reference ? always_reference : nullptr, nullptr, limit);
    if (offset != in.bytes.size())
      return make_error(errc::bad_input, plugin,
                        "payload has " + std::to_string(in.bytes.size() - offset)
                          + " trailing bytes after its msgpack value");
    return object;
  } catch (const std::exception& e) {
    return make_error(errc::bad_input, plugin, std::string("malformed msgpack payload: ") + e.what());
  }
}

caf::expected<msgpack::object_handle> unpack(const payload& in, const std::string& plugin) {
  auto zone = std::make_unique<msgpack::zone>();
  auto object = unpack_in(*zone, in, plugin, false);
  if (!object)
    return std::move(object.error());
  return msgpack::object_handle(*object, std::move(zone));
}


const msgpack::object* map_field(const msgpack::object& map, std::string_view key) {
  if (map.type != msgpack::type::MAP)
    return nullptr;
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto& kv = map.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR
        && std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == key)
      return &kv.val;
  }
  return nullptr;
}

payload pack_object(const msgpack::object& value) {
  return pack(value);
}

} // namespace troupe
