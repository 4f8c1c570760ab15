// wasm_module's state: linear memory and mutable globals, as a checkpoint and back.

#include <algorithm>
#include <cstring>
#include <functional>

#include <msgpack.hpp>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/wasm/module_impl.hpp"

namespace troupe::wasm {

namespace {

/// [1, pages, memory, globals]: the memory and globals, taken by the host.
constexpr std::uint32_t memory_format = 1;
/// [2, bytes]: what the module's snapshot export answered, for its restore export.
constexpr std::uint32_t module_format = 2;
constexpr std::uint64_t page_bytes = 64 * 1024;

/// The raw bits of a global of a numeric type; false for other types (references, vectors).
bool global_bits(const wi::Global& g, std::uint64_t& bits) {
  switch (g.type().type) {
    case wabt::Type::I32: bits = g.UnsafeGet<wi::u32>(); return true;
    case wabt::Type::F32: {
      auto f = g.UnsafeGet<wi::f32>();
      std::uint32_t u = 0;
      std::memcpy(&u, &f, sizeof u);
      bits = u;
      return true;
    }
    case wabt::Type::I64: bits = g.UnsafeGet<wi::u64>(); return true;
    case wabt::Type::F64: {
      auto f = g.UnsafeGet<wi::f64>();
      std::memcpy(&bits, &f, sizeof bits);
      return true;
    }
    default: return false;
  }
}

void set_global_bits(wi::Global& g, std::uint64_t bits) {
  switch (g.type().type) {
    case wabt::Type::I32: g.UnsafeSet(wi::Value::Make(static_cast<wi::u32>(bits))); break;
    case wabt::Type::F32: {
      auto u = static_cast<std::uint32_t>(bits);
      wi::f32 f;
      std::memcpy(&f, &u, sizeof f);
      g.UnsafeSet(wi::Value::Make(f));
      break;
    }
    case wabt::Type::I64: g.UnsafeSet(wi::Value::Make(static_cast<wi::u64>(bits))); break;
    case wabt::Type::F64: {
      wi::f64 f;
      std::memcpy(&f, &bits, sizeof f);
      g.UnsafeSet(wi::Value::Make(f));
      break;
    }
    default: break;
  }
}

/// The checked parts of a snapshot.
struct parsed_state {
  std::uint64_t pages = 0;
  const msgpack::object_bin* memory = nullptr;
  std::vector<std::pair<std::string, std::uint64_t>> globals;
};

std::string parse_state(const msgpack::object& root, parsed_state& out) {
  if (root.via.array.size != 4)
    return "malformed state (an array of 4 expected)";
  const auto* items = root.via.array.ptr;
  if (items[1].type != msgpack::type::POSITIVE_INTEGER || items[2].type != msgpack::type::BIN
      || items[3].type != msgpack::type::ARRAY)
    return "malformed state";
  out.pages = items[1].via.u64;
  out.memory = &items[2].via.bin;
  if (out.memory->size > out.pages * page_bytes)
    return "malformed state (more memory bytes than pages)";
  for (std::uint32_t i = 0; i < items[3].via.array.size; ++i) {
    const auto& g = items[3].via.array.ptr[i];
    if (g.type != msgpack::type::ARRAY || g.via.array.size != 2
        || g.via.array.ptr[0].type != msgpack::type::STR
        || g.via.array.ptr[1].type != msgpack::type::POSITIVE_INTEGER)
      return "malformed state (globals)";
    out.globals.emplace_back(g.via.array.ptr[0].as<std::string>(), g.via.array.ptr[1].via.u64);
  }
  return {};
}

/// The length of `data` without its trailing zero bytes (`size` is a multiple of 8: pages).
std::size_t used_bytes(const std::uint8_t* data, std::size_t size) {
  while (size >= 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, data + size - 8, sizeof word);
    if (word != 0)
      break;
    size -= 8;
  }
  while (size > 0 && data[size - 1] == 0)
    --size;
  return size;
}

/// The state as the host takes it: the memory up to its last non-zero byte and the globals.
payload memory_snapshot(const wasm_module::impl& m) {
  const auto* data = m.memory->UnsafeData();
  auto size = used_bytes(data, static_cast<std::size_t>(m.memory->ByteSize()));
  payload out;
  out.bytes.reserve(size + 64);
  payload_writer writer{out.bytes};
  msgpack::packer<payload_writer> packer(writer);
  packer.pack_array(4);
  packer.pack(memory_format);
  packer.pack(static_cast<std::uint64_t>(m.memory->PageSize()));
  packer.pack_bin(static_cast<std::uint32_t>(size));
  packer.pack_bin_body(reinterpret_cast<const char*>(data), static_cast<std::uint32_t>(size));
  std::vector<std::pair<std::string, std::uint64_t>> globals;
  for (const auto& g : m.state_globals) {
    std::uint64_t bits = 0;
    if (global_bits(*g, bits))
      globals.emplace_back(g->type().type.GetName(), bits);
  }
  packer.pack(globals);
  return out;
}

/// Takes back a memory_snapshot; "" or why not (nothing changed then).
std::string restore_memory(wasm_module::impl& m, const parsed_state& s) {
  if (s.pages > m.limits.memory_pages)
    return std::to_string(s.pages) + " pages of memory, over the limit of "
           + std::to_string(m.limits.memory_pages);
  std::vector<std::pair<wi::Global*, std::uint64_t>> sets;
  std::size_t next = 0;
  for (const auto& g : m.state_globals) {
    std::uint64_t bits = 0;
    if (!global_bits(*g, bits))
      continue;
    if (next >= s.globals.size() || s.globals[next].first != g->type().type.GetName())
      return "its mutable globals differ from the module's (count or types)";
    sets.emplace_back(g.get(), s.globals[next++].second);
  }
  if (next != s.globals.size())
    return "its mutable globals differ from the module's (count or types)";
  if (m.memory->PageSize() < s.pages
      && wabt::Failed(m.memory->Grow(s.pages - m.memory->PageSize())))
    return "the memory cannot grow to " + std::to_string(s.pages) + " pages";
  auto* data = m.memory->UnsafeData();
  if (s.memory->size > 0) // an empty bin has no pointer (memcpy wants one even for 0 bytes)
    std::memcpy(data, s.memory->ptr, s.memory->size);
  std::fill(data + s.memory->size, data + m.memory->ByteSize(), std::uint8_t{0});
  for (auto& [g, bits] : sets)
    set_global_bits(*g, bits);
  return {};
}

/// Hands the bytes of a module_format state to the module's restore export.
caf::error restore_by_module(wasm_module::impl& m, const msgpack::object_bin& bytes,
                             const std::function<caf::error(const std::string&)>& fail) {
  if (!m.restore_fn)
    return fail("the state was taken by a version's snapshot export, and this version exports "
                "no restore");
  m.begin();
  auto out = m.call_with_bytes("restore", *m.restore_fn,
                               std::vector<std::uint8_t>(bytes.ptr, bytes.ptr + bytes.size));
  if (!out)
    return std::move(out.error());
  if (auto code = (*out)[0].Get<wi::s32>(); code != 0)
    return fail("its restore export failed with code " + std::to_string(code));
  return {};
}

} // namespace

caf::expected<payload> wasm_module::snapshot() {
  auto& m = *impl_;
  if (!m.snapshot_fn)
    return memory_snapshot(m);
  m.begin();
  auto out = m.call("snapshot", *m.snapshot_fn, {});
  if (!out)
    return std::move(out.error());
  auto bytes = m.result_bytes("snapshot", (*out)[0].Get<wi::u64>());
  if (!bytes)
    return std::move(bytes.error());
  payload state;
  payload_writer writer{state.bytes};
  msgpack::packer<payload_writer> packer(writer);
  packer.pack_array(2);
  packer.pack(module_format);
  packer.pack_bin(static_cast<std::uint32_t>(bytes->size()));
  packer.pack_bin_body(reinterpret_cast<const char*>(bytes->data()),
                       static_cast<std::uint32_t>(bytes->size()));
  return state;
}

caf::error wasm_module::restore(const payload& state) {
  auto& m = *impl_;
  std::function<caf::error(const std::string&)> fail = [&](const std::string& why) {
    return make_error(errc::plugin_failed, m.plugin, "cannot restore the state of " + m.file
                                                       + ": " + why);
  };
  auto handle = unpack(state, m.plugin);
  if (!handle)
    return fail(describe(handle.error()));
  const auto& root = handle->get();
  if (root.type != msgpack::type::ARRAY || root.via.array.size == 0
      || root.via.array.ptr[0].type != msgpack::type::POSITIVE_INTEGER)
    return fail("not a WebAssembly state");
  auto format = root.via.array.ptr[0].via.u64;
  if (format == module_format) {
    if (root.via.array.size != 2 || root.via.array.ptr[1].type != msgpack::type::BIN)
      return fail("malformed state");
    return restore_by_module(m, root.via.array.ptr[1].via.bin, fail);
  }
  if (format != memory_format)
    return fail("unknown state format");
  parsed_state s;
  if (auto why = parse_state(root, s); !why.empty())
    return fail(why);
  if (auto why = restore_memory(m, s); !why.empty())
    return fail(why);
  return {};
}

} // namespace troupe::wasm
