// wasm_module's calls into the module: every one armed with the fuel and wall-time budget.

#include <algorithm>

#include <msgpack.hpp>
#include <spdlog/spdlog.h>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/utf8.hpp"
#include "plugins/wasm/module_impl.hpp"

namespace troupe::wasm {

namespace {

/// Bit 31 of a result's length: the bytes are an error message, not msgpack.
constexpr std::uint32_t error_bit = 0x80000000u;
/// The longest error message kept from a module; longer ones are cut.
constexpr std::uint32_t max_error_bytes = 4096;

} // namespace

void wasm_module::impl::set_gauge(wi::Thread& t, std::int64_t value) {
  auto g = gauge ? gauge
                 : store.UnsafeGet<wi::Global>(t.GetCallerInstance()->globals()[gauge_index]);
  g->UnsafeSet(wi::Value::Make(static_cast<wi::s64>(value)));
}

std::int64_t wasm_module::impl::gauge_value(wi::Thread& t) {
  auto g = gauge ? gauge
                 : store.UnsafeGet<wi::Global>(t.GetCallerInstance()->globals()[gauge_index]);
  return g->UnsafeGet<wi::s64>();
}

caf::error wasm_module::impl::trap_error(const std::string& what, const wi::Trap::Ptr& trap) {
  thread = std::make_unique<wi::Thread>(store); // a trap may leave the old one's stacks dirty
  auto why = meter.stopped();
  if (why != stop_reason::none) {
    ++(why == stop_reason::fuel ? fuel_stops : why == stop_reason::wall_time ? time_stops
                                                                             : memory_stops);
    return make_error(errc::limit_exceeded, plugin,
                      what + ": " + meter.stop_message(why, limits.memory_pages));
  }
  ++traps;
  return make_error(errc::plugin_failed, plugin,
                    what + ": trap: " + (trap ? trap->message() : std::string("unknown")));
}

void wasm_module::impl::begin() {
  if (log_dropped > 0)
    spdlog::warn("[{}] {} log lines dropped (at most {} per call)", plugin, log_dropped,
                 log_lines - log_dropped);
  log_lines = 0;
  log_dropped = 0;
  gauge->UnsafeSet(wi::Value::Make(static_cast<wi::s64>(meter.arm(call_meter::clock::now()))));
}

caf::expected<wi::Values> wasm_module::impl::call(const std::string& name, wi::Func& func,
                                                  const wi::Values& params) {
  wi::Values results;
  wi::Trap::Ptr trap;
  auto before = meter.used();
  auto failed = wabt::Failed(func.Call(*thread, params, results, &trap));
  meter.finish(gauge->UnsafeGet<wi::s64>());
  fuel_total += meter.used() - before;
  if (failed)
    return trap_error(name, trap);
  return results;
}

caf::expected<std::uint32_t> wasm_module::impl::copy_in(const std::vector<std::uint8_t>& bytes) {
  auto len = static_cast<wi::u32>(bytes.size());
  auto at = call("alloc", *alloc_fn, {wi::Value::Make(len)});
  if (!at)
    return std::move(at.error());
  auto ptr = (*at)[0].Get<wi::u32>();
  if (std::uint64_t{ptr} + len > memory->ByteSize())
    return make_error(errc::plugin_failed, plugin,
                      "alloc(" + std::to_string(len) + ") answered memory out of bounds");
  std::copy(bytes.begin(), bytes.end(), memory->UnsafeData() + ptr);
  return ptr;
}

caf::expected<std::vector<std::uint8_t>>
wasm_module::impl::result_bytes(const std::string& what, std::uint64_t packed) {
  auto ptr = static_cast<std::uint32_t>(packed >> 32);
  auto len = static_cast<std::uint32_t>(packed & 0xffffffffu);
  bool is_error = (len & error_bit) != 0;
  len &= ~error_bit;
  if (std::uint64_t{ptr} + len > memory->ByteSize())
    return make_error(errc::plugin_failed, plugin,
                      what + " answered " + std::to_string(len) + " bytes at " + std::to_string(ptr)
                        + ", out of bounds of its memory");
  const auto* data = memory->UnsafeData() + ptr;
  if (is_error) {
    std::string message(reinterpret_cast<const char*>(data), std::min(len, max_error_bytes));
    if (!is_valid_utf8(message))
      message = "(an error message that is not UTF-8, " + std::to_string(len) + " bytes)";
    return make_error(errc::plugin_failed, plugin, what + ": " + message);
  }
  return std::vector<std::uint8_t>(data, data + len);
}

caf::expected<wi::Values>
wasm_module::impl::call_with_bytes(const std::string& name, wi::Func& func,
                                   const std::vector<std::uint8_t>& bytes) {
  auto ptr = copy_in(bytes);
  if (!ptr)
    return std::move(ptr.error());
  auto len = static_cast<wi::u32>(bytes.size());
  return call(name, func, {wi::Value::Make(*ptr), wi::Value::Make(len)});
}

namespace {

/// Calls `export_name` with `input` copied in and answers its result as a payload.
caf::expected<payload> call_with_payload(wasm_module::impl& m, const std::string& export_name,
                                         wi::Func& func, const std::vector<std::uint8_t>& input) {
  m.begin();
  auto out = m.call_with_bytes(export_name, func, input);
  if (!out)
    return std::move(out.error());
  auto bytes = m.result_bytes(export_name, (*out)[0].Get<wi::u64>());
  if (!bytes)
    return std::move(bytes.error());
  return payload{std::move(*bytes)};
}

} // namespace

caf::expected<payload> wasm_module::execute(const payload& input) {
  return call_with_payload(*impl_, "execute", *impl_->execute_fn, input.bytes);
}

namespace {

/// The msgpack array [name, value] with `value` written as it is.
std::vector<std::uint8_t> named_request(const std::string& name, const payload& value) {
  payload request;
  payload_writer writer{request.bytes};
  msgpack::packer<payload_writer> packer(writer);
  packer.pack_array(2);
  packer.pack(name);
  writer.write(reinterpret_cast<const char*>(value.bytes.data()), value.bytes.size());
  return std::move(request.bytes);
}

} // namespace

caf::expected<payload> wasm_module::call_tool(const std::string& name, const payload& args) {
  if (!impl_->call_tool_fn)
    return make_error(errc::not_found, impl_->plugin, "the module exports no call_tool");
  return call_with_payload(*impl_, "call_tool", *impl_->call_tool_fn, named_request(name, args));
}

caf::expected<payload> wasm_module::call_hook(const std::string& point, const payload& args) {
  if (!impl_->hook_fn)
    return make_error(errc::not_found, impl_->plugin, "the module exports no hook");
  return call_with_payload(*impl_, "hook", *impl_->hook_fn, named_request(point, args));
}

caf::expected<std::string> wasm_module::metadata_json() {
  if (!exports("metadata"))
    return std::string{};
  auto& m = *impl_;
  m.begin();
  auto out = m.call("metadata", *m.funcs["metadata"], {});
  if (!out)
    return std::move(out.error());
  auto bytes = m.result_bytes("metadata", (*out)[0].Get<wi::u64>());
  if (!bytes)
    return std::move(bytes.error());
  return std::string(bytes->begin(), bytes->end());
}

caf::error wasm_module::lifecycle(const std::string& name) {
  if (!exports(name))
    return {};
  auto& m = *impl_;
  m.begin();
  auto out = m.call(name, *m.funcs[name], {});
  if (!out)
    return std::move(out.error());
  if (!out->empty() && (*out)[0].Get<wi::s32>() != 0)
    return make_error(errc::plugin_failed, m.plugin,
                      name + " failed with code " + std::to_string((*out)[0].Get<wi::s32>()));
  return {};
}

} // namespace troupe::wasm
