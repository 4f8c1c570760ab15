#include "plugins/wasm/wasm_module.hpp"

#include <chrono>
#include <map>

#include <spdlog/spdlog.h>

#include "wabt/binary-reader.h"
#include "wabt/interp/binary-reader-interp.h"
#include "wabt/interp/interp.h"

#include "messages/errors.hpp"

namespace troupe::wasm {

namespace wi = wabt::interp;

struct wasm_module::impl {
  std::string plugin;
  std::string file;
  wi::Store store;
  wi::Module::Ptr module;
  wi::Instance::Ptr instance;
  std::map<std::string, wi::Func::Ptr> funcs;
  wi::Memory::Ptr memory;
};

namespace {

caf::error refused(const std::string& plugin, const std::string& file, const std::string& why) {
  return make_error(errc::load_failed, plugin, file + ": " + why);
}

/// The host function for import `name` ("log" or "now") of the troupe module.
wi::HostFunc::Ptr host_import(wasm_module::impl& m, const std::string& name) {
  if (name == "now")
    return wi::HostFunc::New(m.store, wi::FuncType{{}, {wabt::Type::I64}},
                             [](wi::Thread&, const wi::Values&, wi::Values& out, wi::Trap::Ptr*) {
                               auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch());
                               out[0] = wi::Value::Make(static_cast<std::uint64_t>(ms.count()));
                               return wabt::Result::Ok;
                             });
  auto* self = &m;
  return wi::HostFunc::New(
    m.store, wi::FuncType{{wabt::Type::I32, wabt::Type::I32, wabt::Type::I32}, {}},
    [self](wi::Thread&, const wi::Values& in, wi::Values&, wi::Trap::Ptr*) {
      auto ptr = in[1].Get<std::uint32_t>();
      auto len = in[2].Get<std::uint32_t>();
      if (self->memory && std::uint64_t{ptr} + len <= self->memory->ByteSize()) {
        std::string text(reinterpret_cast<const char*>(self->memory->UnsafeData()) + ptr, len);
        spdlog::info("[{}] {}", self->plugin, text);
      }
      return wabt::Result::Ok;
    });
}

} // namespace

caf::expected<std::unique_ptr<wasm_module>>
wasm_module::load(const std::string& plugin, const std::string& file,
                  const std::vector<std::uint8_t>& bytes, module_limits limits) {
  if (bytes.size() > limits.module_bytes)
    return make_error(errc::limit_exceeded, plugin,
                      file + ": module size limit exceeded (" + std::to_string(bytes.size())
                        + " > " + std::to_string(limits.module_bytes) + " bytes)");
  auto m = std::make_unique<impl>();
  m->plugin = plugin;
  m->file = file;
  wabt::Errors errors;
  wi::ModuleDesc desc;
  wabt::ReadBinaryOptions opts;
  if (wabt::Failed(wi::ReadBinaryInterp(file, bytes.data(), bytes.size(), opts, &errors, &desc)))
    return refused(plugin, file, "not a valid WebAssembly module"
                                   + (errors.empty() ? std::string{} : ": " + errors.front().message));
  for (auto& mem : desc.memories) {
    if (mem.type.limits.initial > limits.memory_pages)
      return make_error(errc::limit_exceeded, plugin,
                        file + ": initial memory of " + std::to_string(mem.type.limits.initial)
                          + " pages is over the limit of " + std::to_string(limits.memory_pages));
    if (!mem.type.limits.has_max || mem.type.limits.max > limits.memory_pages) {
      mem.type.limits.has_max = true;
      mem.type.limits.max = limits.memory_pages;
    }
  }
  wi::RefVec imports;
  for (const auto& imp : desc.imports) {
    const auto& mod = imp.type.module;
    const auto& name = imp.type.name;
    if (mod != "troupe" || (name != "log" && name != "now"))
      return refused(plugin, file, "imports " + mod + "." + name
                                     + ", which Troupe does not offer (troupe.log, troupe.now)");
    imports.push_back(host_import(*m, name).ref());
  }
  m->module = wi::Module::New(m->store, std::move(desc));
  wi::Trap::Ptr trap;
  m->instance = wi::Instance::Instantiate(m->store, m->module.ref(), imports, &trap);
  if (!m->instance)
    return refused(plugin, file, "cannot be instantiated"
                                   + (trap ? ": " + trap->message() : std::string{}));
  const auto& types = m->module->export_types();
  for (std::size_t i = 0; i < types.size(); ++i)
    if (types[i].type->kind == wabt::ExternalKind::Func)
      m->funcs[types[i].name] = m->store.UnsafeGet<wi::Func>(m->instance->exports()[i]);
  if (!m->instance->memories().empty())
    m->memory = m->store.UnsafeGet<wi::Memory>(m->instance->memories()[0]);
  for (const char* needed : {"alloc", "execute"})
    if (m->funcs.count(needed) == 0)
      return refused(plugin, file, std::string("exports no '") + needed + "' function");
  if (!m->memory)
    return refused(plugin, file, "has no linear memory");
  return std::unique_ptr<wasm_module>(new wasm_module(std::move(m)));
}

wasm_module::wasm_module(std::unique_ptr<impl> p) : impl_(std::move(p)) {
}

wasm_module::~wasm_module() = default;

bool wasm_module::exports(const std::string& name) const {
  return impl_->funcs.count(name) > 0;
}

caf::expected<payload> wasm_module::execute(const payload& input) {
  auto& m = *impl_;
  auto call = [&](const char* name, wi::Values params) -> caf::expected<wi::Values> {
    wi::Values results;
    wi::Trap::Ptr trap;
    if (wabt::Failed(m.funcs[name]->Call(m.store, params, results, &trap)))
      return make_error(errc::plugin_failed, m.plugin,
                        std::string(name) + ": trap: " + (trap ? trap->message() : "unknown"));
    return results;
  };
  auto len = static_cast<std::uint32_t>(input.bytes.size());
  auto at = call("alloc", {wi::Value::Make(len)});
  if (!at)
    return std::move(at.error());
  auto ptr = (*at)[0].Get<std::uint32_t>();
  if (std::uint64_t{ptr} + len > m.memory->ByteSize())
    return make_error(errc::plugin_failed, m.plugin, "alloc answered memory out of bounds");
  std::copy(input.bytes.begin(), input.bytes.end(), m.memory->UnsafeData() + ptr);
  auto out = call("execute", {wi::Value::Make(ptr), wi::Value::Make(len)});
  if (!out)
    return std::move(out.error());
  auto packed = (*out)[0].Get<std::uint64_t>();
  auto out_ptr = static_cast<std::uint32_t>(packed >> 32);
  auto out_len = static_cast<std::uint32_t>(packed & 0xffffffffu);
  if (std::uint64_t{out_ptr} + out_len > m.memory->ByteSize())
    return make_error(errc::plugin_failed, m.plugin, "execute answered memory out of bounds");
  const auto* data = m.memory->UnsafeData() + out_ptr;
  return payload{std::vector<std::uint8_t>(data, data + out_len)};
}

} // namespace troupe::wasm
