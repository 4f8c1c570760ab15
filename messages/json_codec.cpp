#include "messages/json_codec.hpp"

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/utf8.hpp"

namespace troupe {

payload payload_from_json(const nlohmann::json& value) {
  return payload{nlohmann::json::to_msgpack(value)};
}

namespace {

/// Thrown by the parse callback when JSON nests deeper than a payload may.
struct too_deep {};

} // namespace

caf::expected<payload> payload_from_json_text(const std::string& text) {
  // `depth` counts the containers around the event: an array or object that opens at depth
  // max_payload_depth would be one level more than a payload may have.
  auto depth_guard = [](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    bool opens = event == nlohmann::json::parse_event_t::array_start
                 || event == nlohmann::json::parse_event_t::object_start;
    if (opens && static_cast<std::size_t>(depth) >= max_payload_depth)
      throw too_deep{};
    return true;
  };
  try {
    return payload_from_json(nlohmann::json::parse(text, depth_guard));
  } catch (const nlohmann::json::exception& e) {
    return make_error(errc::bad_input, "", std::string("invalid JSON: ") + e.what());
  } catch (const too_deep&) {
    return make_error(errc::bad_input, "",
                      "JSON nests deeper than " + std::to_string(max_payload_depth) + " levels");
  }
}

namespace {

nlohmann::json bytes_json(const char* data, std::size_t size) {
  auto* first = reinterpret_cast<const std::uint8_t*>(data);
  return nlohmann::json::binary(std::vector<std::uint8_t>(first, first + size));
}

nlohmann::json to_json(const msgpack::object& o);

/// The longest JSON text a map key that is not a UTF-8 string becomes. A key's text holds the
/// text of the keys nested in it, escaped again at each level, so it doubles per level: without
/// a cap, 90 bytes of maps nested as keys took seconds and hundreds of MB (found by
/// fuzz_msgpack_json).
constexpr std::size_t max_key_text = 1024;

/// The JSON text of `key`, cut at a character boundary and ended with "..." past max_key_text.
std::string key_text(const msgpack::object& key) {
  auto text = render_json(to_json(key));
  if (text.size() <= max_key_text)
    return text;
  auto cut = max_key_text;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) // a continuation byte
    --cut;
  text.resize(cut);
  return text + "...";
}

// msgpack allows any key type; JSON only strings. Walks msgpack-c's object tree so that integer
// keys, for example, become "1" instead of failing the whole conversion.
nlohmann::json to_json(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return nullptr;
    case msgpack::type::BOOLEAN: return o.via.boolean;
    case msgpack::type::POSITIVE_INTEGER: return o.via.u64;
    case msgpack::type::NEGATIVE_INTEGER: return o.via.i64;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return o.via.f64;
    case msgpack::type::STR:
      if (!is_valid_utf8(o.via.str.ptr, o.via.str.size))
        return bytes_json(o.via.str.ptr, o.via.str.size);
      return std::string(o.via.str.ptr, o.via.str.size);
    case msgpack::type::BIN: return bytes_json(o.via.bin.ptr, o.via.bin.size);
    case msgpack::type::ARRAY: {
      auto result = nlohmann::json::array();
      for (std::uint32_t i = 0; i < o.via.array.size; ++i)
        result.push_back(to_json(o.via.array.ptr[i]));
      return result;
    }
    case msgpack::type::MAP: {
      auto result = nlohmann::json::object();
      for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        auto key = kv.key.type == msgpack::type::STR
                       && is_valid_utf8(kv.key.via.str.ptr, kv.key.via.str.size)
                     ? std::string(kv.key.via.str.ptr, kv.key.via.str.size)
                     : key_text(kv.key);
        result[key] = to_json(kv.val);
      }
      return result;
    }
    case msgpack::type::EXT: {
      std::vector<std::uint8_t> bytes(o.via.ext.data(), o.via.ext.data() + o.via.ext.size);
      return nlohmann::json::binary(std::move(bytes), static_cast<std::uint8_t>(o.via.ext.type()));
    }
  }
  return nullptr;
}

} // namespace

std::string render_json(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

caf::expected<nlohmann::json> payload_to_json(const payload& in, const std::string& plugin) {
  auto handle = unpack(in, plugin);
  if (!handle)
    return std::move(handle.error());
  return to_json(handle->get());
}

} // namespace troupe
