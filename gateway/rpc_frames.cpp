#include "gateway/rpc_frames.hpp"

#include <cstring>

#include <msgpack.hpp>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::gateway {

struct rpc_reader::state {
  rpc_limits limits;
  msgpack::unpacker unpacker;
  caf::error failed; ///< Set once: the stream cannot go on.
  /// Bytes taken since the last complete frame (the parser consumes a frame's bytes as they
  /// come, so its own count of unparsed bytes does not bound a frame that never ends).
  std::size_t since_frame = 0;

  explicit state(rpc_limits l)
    : limits(l),
      unpacker(nullptr, nullptr, MSGPACK_UNPACKER_INIT_BUFFER_SIZE,
               msgpack::unpack_limit(l.max_frame, l.max_frame, l.max_frame, l.max_frame,
                                     l.max_frame, l.max_depth)) {
  }
};

namespace {

caf::error bad(const std::string& what) {
  return make_error(errc::bad_input, "", "msgpack-RPC: " + what);
}

caf::expected<std::uint32_t> read_msgid(const msgpack::object& o) {
  if (o.type != msgpack::type::POSITIVE_INTEGER || o.via.u64 > 0xffffffffu)
    return bad("a msgid must be an unsigned 32-bit integer");
  return static_cast<std::uint32_t>(o.via.u64);
}

caf::expected<std::string> read_method(const msgpack::object& o) {
  if (o.type == msgpack::type::STR)
    return std::string(o.via.str.ptr, o.via.str.size);
  if (o.type == msgpack::type::BIN) // some clients send method names as bin
    return std::string(o.via.bin.ptr, o.via.bin.size);
  return bad("a method name must be a string");
}

caf::error read_params(const msgpack::object& o, const rpc_limits& limits,
                       std::vector<payload>& out) {
  if (o.type != msgpack::type::ARRAY)
    return bad("params must be an array");
  if (o.via.array.size > limits.max_params)
    return bad(std::to_string(o.via.array.size) + " params: at most "
               + std::to_string(limits.max_params));
  for (std::uint32_t i = 0; i < o.via.array.size; ++i)
    out.push_back(pack_object(o.via.array.ptr[i]));
  return {};
}

/// The frame `o` holds, or why it is none.
caf::expected<rpc_frame> read_frame(const msgpack::object& o, const rpc_limits& limits) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size < 3)
    return bad("a frame must be an array of 3 or 4 elements");
  const auto* x = o.via.array.ptr;
  if (x[0].type != msgpack::type::POSITIVE_INTEGER || x[0].via.u64 > 2)
    return bad("a frame's type must be 0 (request), 1 (response) or 2 (notification)");
  rpc_frame f;
  f.type = static_cast<rpc_frame::kind>(x[0].via.u64);
  auto expected_size = f.type == rpc_frame::kind::notification ? 3u : 4u;
  if (o.via.array.size != expected_size)
    return bad("a frame of type " + std::to_string(x[0].via.u64) + " has "
               + std::to_string(expected_size) + " elements, not "
               + std::to_string(o.via.array.size));
  if (f.type == rpc_frame::kind::notification) {
    auto method = read_method(x[1]);
    if (!method)
      return std::move(method.error());
    f.method = std::move(*method);
    if (auto err = read_params(x[2], limits, f.params))
      return err;
    return f;
  }
  auto msgid = read_msgid(x[1]);
  if (!msgid)
    return std::move(msgid.error());
  f.msgid = *msgid;
  if (f.type == rpc_frame::kind::response) {
    f.error = pack_object(x[2]);
    f.result = pack_object(x[3]);
    return f;
  }
  auto method = read_method(x[2]);
  if (!method)
    return std::move(method.error());
  f.method = std::move(*method);
  if (auto err = read_params(x[3], limits, f.params))
    return err;
  return f;
}

} // namespace

rpc_reader::rpc_reader(rpc_limits limits) : st_(std::make_unique<state>(limits)) {
}

rpc_reader::~rpc_reader() = default;

std::size_t rpc_reader::buffered() const {
  return st_->since_frame;
}

caf::expected<std::vector<rpc_frame>> rpc_reader::feed(const char* data, std::size_t n) {
  if (st_->failed)
    return st_->failed;
  std::vector<rpc_frame> out;
  auto fail = [this](caf::error err) {
    st_->failed = err;
    return err;
  };
  try {
    auto& unp = st_->unpacker;
    if (n > 0) {
      unp.reserve_buffer(n);
      std::memcpy(unp.buffer(), data, n);
      unp.buffer_consumed(n);
    }
    st_->since_frame += n;
    auto too_large = [this] {
      return bad("a frame of more than " + std::to_string(st_->limits.max_frame) + " bytes");
    };
    msgpack::object_handle oh;
    while (unp.next(oh)) {
      // The frame's bytes: those taken since the last frame but the ones after it. A frame that
      // arrives whole in one feed is held to the limit as one that arrives in pieces.
      if (st_->since_frame - unp.nonparsed_size() > st_->limits.max_frame)
        return fail(too_large());
      auto frame = read_frame(oh.get(), st_->limits);
      if (!frame)
        return fail(std::move(frame.error()));
      out.push_back(std::move(*frame));
      st_->since_frame = unp.nonparsed_size();
    }
    if (st_->since_frame > st_->limits.max_frame)
      return fail(too_large());
  } catch (const msgpack::depth_size_overflow&) {
    return fail(bad("nested deeper than " + std::to_string(st_->limits.max_depth)));
  } catch (const msgpack::size_overflow&) {
    return fail(bad("a string, array or map larger than a frame may be ("
                    + std::to_string(st_->limits.max_frame) + " bytes)"));
  } catch (const std::exception& e) {
    return fail(bad(std::string("not msgpack (") + e.what() + ")"));
  }
  return out;
}

namespace {

/// Packs an array whose elements are written by `fill`.
template <class Fill>
payload packed_array(std::size_t size, Fill fill) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(static_cast<std::uint32_t>(size));
  fill(pk, buf);
  payload out;
  out.bytes.assign(buf.data(), buf.data() + buf.size());
  return out;
}

void append_raw(msgpack::sbuffer& buf, const payload& p) {
  buf.write(reinterpret_cast<const char*>(p.bytes.data()), p.bytes.size());
}

} // namespace

payload encode_result(std::uint32_t msgid, const payload& result) {
  return packed_array(4, [&](auto& pk, auto& buf) {
    pk.pack(1);
    pk.pack(msgid);
    pk.pack_nil();
    append_raw(buf, result);
  });
}

payload encode_error(std::uint32_t msgid, const std::string& code, const std::string& message,
                     const std::string& plugin) {
  return packed_array(4, [&](auto& pk, auto&) {
    pk.pack(1);
    pk.pack(msgid);
    pk.pack_map(plugin.empty() ? 2 : 3);
    pk.pack(std::string("code"));
    pk.pack(code);
    pk.pack(std::string("message"));
    pk.pack(message);
    if (!plugin.empty()) {
      pk.pack(std::string("plugin"));
      pk.pack(plugin);
    }
    pk.pack_nil();
  });
}

payload encode_notification(const std::string& method, const std::vector<payload>& params) {
  return packed_array(3, [&](auto& pk, auto& buf) {
    pk.pack(2);
    pk.pack(method);
    pk.pack_array(static_cast<std::uint32_t>(params.size()));
    for (const auto& p : params)
      append_raw(buf, p);
  });
}

payload encode_request(std::uint32_t msgid, const std::string& method,
                       const std::vector<payload>& params) {
  return packed_array(4, [&](auto& pk, auto& buf) {
    pk.pack(0);
    pk.pack(msgid);
    pk.pack(method);
    pk.pack_array(static_cast<std::uint32_t>(params.size()));
    for (const auto& p : params)
      append_raw(buf, p);
  });
}

} // namespace troupe::gateway
