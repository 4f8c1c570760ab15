#include "plugins/wasm/wasm_module.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "wabt/binary-reader.h"
#include "wabt/interp/binary-reader-interp.h"

#include "messages/errors.hpp"
#include "messages/utf8.hpp"
#include "plugins/wasm/metering.hpp"
#include "plugins/wasm/module_impl.hpp"

namespace troupe::wasm {

namespace {

/// The longest log line a module may write; longer ones are cut.
constexpr std::uint32_t max_log_bytes = 4096;
/// The most log lines one call may write; later ones are counted and dropped.
constexpr std::uint32_t max_log_lines = 100;

caf::error refused(const wasm_module::impl& m, const std::string& why) {
  return make_error(errc::load_failed, m.plugin, m.file + ": " + why);
}

wi::HostFunc::Ptr now_import(wasm_module::impl& m) {
  return wi::HostFunc::New(m.store, wi::FuncType{{}, {wabt::Type::I64}},
                           [](wi::Thread&, const wi::Values&, wi::Values& out, wi::Trap::Ptr*) {
                             auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch());
                             out[0] = wi::Value::Make(static_cast<wi::u64>(ms.count()));
                             return wabt::Result::Ok;
                           });
}

void write_log(const wasm_module::impl& m, std::uint32_t level, std::string text) {
  if (!is_valid_utf8(text))
    text = "(a log line that is not UTF-8, " + std::to_string(text.size()) + " bytes)";
  switch (level) {
    case 0: spdlog::debug("[{}] {}", m.plugin, text); break;
    case 1: spdlog::info("[{}] {}", m.plugin, text); break;
    case 2: spdlog::warn("[{}] {}", m.plugin, text); break;
    default: spdlog::error("[{}] {}", m.plugin, text); break;
  }
}

wi::HostFunc::Ptr log_import(wasm_module::impl& m) {
  auto* self = &m;
  return wi::HostFunc::New(
    m.store, wi::FuncType{{wabt::Type::I32, wabt::Type::I32, wabt::Type::I32}, {}},
    [self](wi::Thread& thread, const wi::Values& in, wi::Values&, wi::Trap::Ptr* trap) {
      auto ptr = in[1].Get<wi::u32>();
      auto len = in[2].Get<wi::u32>();
      if (!self->memory || std::uint64_t{ptr} + len > self->memory->ByteSize()) {
        *trap = wi::Trap::New(thread.store(), "troupe.log: text out of bounds of memory");
        return wabt::Result::Error;
      }
      if (++self->log_lines > max_log_lines) {
        ++self->log_dropped;
        ++self->log_dropped_total;
        return wabt::Result::Ok;
      }
      const auto* data = reinterpret_cast<const char*>(self->memory->UnsafeData()) + ptr;
      write_log(*self, in[0].Get<wi::u32>(), std::string(data, std::min(len, max_log_bytes)));
      return wabt::Result::Ok;
    });
}

/// The metering import: charges a slice, refills the gauge or traps.
wi::HostFunc::Ptr tick_import_func(wasm_module::impl& m) {
  auto* self = &m;
  return wi::HostFunc::New(
    m.store, wi::FuncType{{}, {}},
    [self](wi::Thread& thread, const wi::Values&, wi::Values&, wi::Trap::Ptr* trap) {
      auto next = self->meter.tick(self->gauge_value(thread), call_meter::clock::now());
      if (self->meter.stopped() != stop_reason::none) {
        *trap = wi::Trap::New(thread.store(), self->meter.stop_message(self->meter.stopped(), 0));
        return wabt::Result::Error;
      }
      self->set_gauge(thread, next);
      return wabt::Result::Ok;
    });
}

/// The memory.grow guard: traps when the growth would pass the cap.
wi::HostFunc::Ptr grow_import_func(wasm_module::impl& m) {
  auto* self = &m;
  return wi::HostFunc::New(
    m.store, wi::FuncType{{wabt::Type::I32}, {wabt::Type::I32}},
    [self](wi::Thread& thread, const wi::Values& in, wi::Values& out, wi::Trap::Ptr* trap) {
      auto delta = in[0].Get<wi::u32>();
      auto pages = self->memory ? self->memory->PageSize() : 0;
      if (pages + delta > self->limits.memory_pages) {
        self->meter.stop(stop_reason::memory);
        *trap = wi::Trap::New(thread.store(), self->meter.stop_message(
                                                stop_reason::memory, self->limits.memory_pages));
        return wabt::Result::Error;
      }
      out[0] = in[0];
      return wabt::Result::Ok;
    });
}

/// The bulk-operation guard: charges the operation's length as fuel, checks the budget like a
/// tick, and hands the length back.
wi::HostFunc::Ptr bulk_import_func(wasm_module::impl& m) {
  auto* self = &m;
  return wi::HostFunc::New(
    m.store, wi::FuncType{{wabt::Type::I32}, {wabt::Type::I32}},
    [self](wi::Thread& thread, const wi::Values& in, wi::Values& out, wi::Trap::Ptr* trap) {
      auto gauge = self->gauge_value(thread) - in[0].Get<wi::u32>() / bulk_bytes_per_fuel;
      self->set_gauge(thread, gauge); // what the meter charges, should it stop the call here
      if (gauge < 0) {
        gauge = self->meter.tick(gauge, call_meter::clock::now());
        if (self->meter.stopped() != stop_reason::none) {
          *trap = wi::Trap::New(thread.store(),
                                self->meter.stop_message(self->meter.stopped(), 0));
          return wabt::Result::Error;
        }
      }
      self->set_gauge(thread, gauge);
      out[0] = in[0];
      return wabt::Result::Ok;
    });
}

/// The host function for import troupe.`name`.
wi::HostFunc::Ptr host_import(wasm_module::impl& m, const std::string& name) {
  if (name == "now")
    return now_import(m);
  if (name == "log")
    return log_import(m);
  if (name == tick_import)
    return tick_import_func(m);
  if (name == bulk_import)
    return bulk_import_func(m);
  return grow_import_func(m);
}

/// Caps the memory of `desc` at limits.memory_pages; an error text if its initial size is over.
std::string cap_memory(wi::ModuleDesc& desc, std::uint32_t cap) {
  for (auto& mem : desc.memories) {
    if (mem.type.limits.initial > cap)
      return "initial memory of " + std::to_string(mem.type.limits.initial)
             + " pages is over the memory limit of " + std::to_string(cap) + " pages";
    if (!mem.type.limits.has_max || mem.type.limits.max > cap) {
      mem.type.limits.has_max = true;
      mem.type.limits.max = cap;
    }
  }
  return {};
}

/// Finds the exports, the memory, the gauge and the state globals of an instantiated module.
caf::error bind_exports(wasm_module::impl& m, std::uint32_t own_globals) {
  const auto& types = m.module->export_types();
  for (std::size_t i = 0; i < types.size(); ++i)
    if (types[i].type->kind == wabt::ExternalKind::Func)
      m.funcs[types[i].name] = m.store.UnsafeGet<wi::Func>(m.instance->exports()[i]);
    else if (types[i].type->kind == wabt::ExternalKind::Memory && types[i].name == "memory")
      m.memory = m.store.UnsafeGet<wi::Memory>(m.instance->exports()[i]);
  for (const char* needed : {"alloc", "execute"})
    if (m.funcs.count(needed) == 0)
      return refused(m, std::string("exports no '") + needed + "' function (see the plugin ABI)");
  if (!m.memory)
    return refused(m, "exports no memory named 'memory' (see the plugin ABI)");
  m.alloc_fn = m.funcs["alloc"];
  m.execute_fn = m.funcs["execute"];
  auto optional = [&](const char* name) {
    auto it = m.funcs.find(name);
    return it == m.funcs.end() ? wi::Func::Ptr{} : it->second;
  };
  m.call_tool_fn = optional("call_tool");
  m.hook_fn = optional("hook");
  m.snapshot_fn = optional("snapshot");
  m.restore_fn = optional("restore");
  const auto& globals = m.instance->globals();
  m.gauge = m.store.UnsafeGet<wi::Global>(globals[m.gauge_index]);
  for (std::uint32_t i = 0; i < own_globals && i < globals.size(); ++i) {
    auto g = m.store.UnsafeGet<wi::Global>(globals[i]);
    if (g->type().mut == wabt::interp::Mutability::Var)
      m.state_globals.push_back(g);
  }
  return {};
}

caf::error instantiate(wasm_module::impl& m, const metered_module& metered) {
  wabt::Errors errors;
  wi::ModuleDesc desc;
  wabt::ReadBinaryOptions opts;
  opts.fail_on_custom_section_error = false;
  if (wabt::Failed(wi::ReadBinaryInterp(m.file, metered.bytes.data(), metered.bytes.size(), opts,
                                        &errors, &desc)))
    return refused(m, "cannot be read after metering"
                        + (errors.empty() ? std::string{} : ": " + errors.front().message));
  if (auto why = cap_memory(desc, m.limits.memory_pages); !why.empty())
    return make_error(errc::limit_exceeded, m.plugin, m.file + ": " + why);
  wi::RefVec imports;
  for (const auto& imp : desc.imports)
    imports.push_back(host_import(m, imp.type.name).ref());
  m.module = wi::Module::New(m.store, std::move(desc));
  m.gauge_index = metered.fuel_global;
  m.thread = std::make_unique<wi::Thread>(m.store);
  m.meter.arm(call_meter::clock::now());
  wi::Trap::Ptr trap;
  m.instance = wi::Instance::Instantiate(m.store, m.module.ref(), imports, &trap);
  if (!m.instance) {
    if (m.meter.stopped() != stop_reason::none)
      return make_error(errc::limit_exceeded, m.plugin,
                        m.file + ": start function: "
                          + m.meter.stop_message(m.meter.stopped(), m.limits.memory_pages));
    return refused(m, "cannot be instantiated" + (trap ? ": " + trap->message() : std::string{}));
  }
  return bind_exports(m, metered.own_globals);
}

} // namespace

caf::expected<std::unique_ptr<wasm_module>>
wasm_module::load(const std::string& plugin, const std::string& file,
                  const std::vector<std::uint8_t>& bytes, module_limits limits,
                  metering_cache* cache) {
  if (limits.module_bytes != 0 && bytes.size() > limits.module_bytes)
    return make_error(errc::limit_exceeded, plugin,
                      file + ": module size limit exceeded (" + std::to_string(bytes.size())
                        + " > " + std::to_string(limits.module_bytes) + " bytes)");
  auto m = std::make_unique<impl>(plugin, file, limits);
  auto first = call_meter(limits.fuel, limits.wall_time).arm(call_meter::clock::now());
  auto metered = cache ? cache->get(bytes, first) : meter_module(bytes, first);
  if (!metered.error.empty())
    return refused(*m, metered.error);
  if (auto err = instantiate(*m, metered.module))
    return err;
  return std::unique_ptr<wasm_module>(new wasm_module(std::move(m)));
}

wasm_module::wasm_module(std::unique_ptr<impl> p) : impl_(std::move(p)) {
}

wasm_module::~wasm_module() = default;

bool wasm_module::exports(const std::string& name) const {
  return impl_->funcs.count(name) > 0;
}

const module_limits& wasm_module::limits() const {
  return impl_->limits;
}

std::map<std::string, std::int64_t> wasm_module::counters() const {
  const auto& m = *impl_;
  return {{"fuel_last", static_cast<std::int64_t>(m.meter.used())},
          {"fuel_total", static_cast<std::int64_t>(m.fuel_total)},
          {"fuel_stops", m.fuel_stops},
          {"time_stops", m.time_stops},
          {"memory_stops", m.memory_stops},
          {"traps", m.traps},
          {"log_lines_dropped", m.log_dropped_total},
          {"linear_memory_bytes", static_cast<std::int64_t>(m.memory->ByteSize())},
          {"linear_memory_limit_bytes", static_cast<std::int64_t>(m.limits.memory_pages) << 16}};
}

} // namespace troupe::wasm
