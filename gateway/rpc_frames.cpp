#include "gateway/rpc_frames.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include <msgpack.hpp>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::gateway {

namespace {

/// What a frame may hold, checked while its bytes are walked; builds nothing. Throws msgpack-c's
/// exceptions, as its unpacker would.
struct frame_checker : msgpack::null_visitor {
  const rpc_limits* limits = nullptr;
  std::size_t depth = 0;

  bool visit_str(const char*, std::uint32_t size) { return fits(size); }
  bool visit_bin(const char*, std::uint32_t size) { return fits(size); }
  bool visit_ext(const char*, std::uint32_t size) { return fits(size); }
  bool start_array(std::uint32_t items) { return fits(items) && enter(); }
  bool start_map(std::uint32_t pairs) { return fits(pairs) && enter(); }
  bool end_array() { return leave(); }
  bool end_map() { return leave(); }
  void parse_error(std::size_t, std::size_t) { throw msgpack::parse_error("parse error"); }
  void insufficient_bytes(std::size_t, std::size_t) {
    throw msgpack::insufficient_bytes("insufficient bytes");
  }
  void init() { depth = 0; }

private:
  bool fits(std::size_t size) const {
    if (size > limits->max_frame)
      throw msgpack::size_overflow("larger than a frame");
    return true;
  }
  bool enter() {
    if (++depth > limits->max_depth)
      throw msgpack::depth_size_overflow("depth size overflow");
    return true;
  }
  bool leave() {
    --depth;
    return true;
  }
};

/// Finds where each frame ends in the stream (msgpack-c's streaming parser with frame_checker).
/// A frame is decoded only once all its bytes are there: msgpack-c's unpacker reserves room for
/// every element a header announces as soon as it reads the header (48 bytes a map pair), so 5
/// bytes announcing 16 million pairs reserved 1 GiB, and a frame of nested such headers hundreds
/// of GiB of address space, before any element arrived (found by fuzz_rpc_frames).
class frame_scanner : public msgpack::parser<frame_scanner, frame_scanner> {
public:
  explicit frame_scanner(const rpc_limits& limits) : parser(*this) { checker_.limits = &limits; }
  frame_checker& visitor() { return checker_; }
  // Nothing points into the parser's buffer, so it never hands one to the hook.
  bool referenced() const { return false; }
  void set_referenced(bool) {}
  void operator()(char*) {}

private:
  frame_checker checker_;
};

bool always_reference(msgpack::type::object_type, std::size_t, void*) {
  return true;
}

/// The complete frame data[0..size) as msgpack-c's object tree in `zone` (strings point into
/// data). Every count is bounded by the frame's own size, so nothing is reserved beyond it.
msgpack::object decode(msgpack::zone& zone, const char* data, std::size_t size,
                       std::size_t max_depth) {
  auto n = static_cast<std::uint32_t>(std::min<std::size_t>(size, UINT32_MAX));
  std::size_t offset = 0;
  bool referenced = false;
  return msgpack::unpack(zone, data, size, offset, referenced, always_reference, nullptr,
                         msgpack::unpack_limit(n, n / 2, n, n, n, max_depth));
}

} // namespace

struct rpc_reader::state {
  rpc_limits limits;
  frame_scanner scanner{limits};
  /// The bytes taken since the last complete frame: the scanner walks them as they come but
  /// keeps only what it has not walked yet, so the frame being read is kept here.
  std::string pending;
  msgpack::zone zone; ///< A decoded frame's tree, cleared after each frame.
  caf::error failed; ///< Set once: the stream cannot go on.

  explicit state(rpc_limits l) : limits(l) {}
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
  return st_->pending.size();
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
    auto& scanner = st_->scanner;
    auto& pending = st_->pending;
    if (n > 0) {
      scanner.reserve_buffer(n);
      std::memcpy(scanner.buffer(), data, n);
      scanner.buffer_consumed(n);
      pending.append(data, n);
    }
    auto too_large = [this] {
      return bad("a frame of more than " + std::to_string(st_->limits.max_frame) + " bytes");
    };
    std::size_t start = 0; // of the next frame in pending
    while (scanner.next()) {
      scanner.reset();
      // The frame's bytes: those from its start but the ones the scanner has not walked. A frame
      // that arrives whole in one feed is held to the limit as one that arrives in pieces.
      auto size = pending.size() - start - scanner.nonparsed_size();
      if (size > st_->limits.max_frame)
        return fail(too_large());
      zone_clearer clear{st_->zone};
      auto frame = read_frame(decode(st_->zone, pending.data() + start, size,
                                     st_->limits.max_depth),
                              st_->limits);
      if (!frame)
        return fail(std::move(frame.error()));
      out.push_back(std::move(*frame));
      start += size;
    }
    pending.erase(0, start);
    if (pending.size() > st_->limits.max_frame)
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
