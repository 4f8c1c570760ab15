#include "plugins/wasm/module_check.hpp"

#include <map>

#include "wabt/binary-reader-ir.h"
#include "wabt/interp/binary-reader-interp.h"
#include "wabt/binary-reader.h"
#include "wabt/cast.h"
#include "wabt/ir.h"
#include "wabt/validator.h"

#include "plugins/wasm/metering.hpp"

namespace troupe::wasm {

namespace {

using namespace wabt;

/// A function signature written as in the docs: "(i32, i32) -> i64".
std::string signature(const FuncSignature& sig) {
  auto list = [](const TypeVector& types) {
    std::string out;
    for (std::size_t i = 0; i < types.size(); ++i)
      out += (i ? ", " : "") + std::string(types[i].GetName());
    return out;
  };
  return "(" + list(sig.param_types) + ") -> " + (sig.result_types.empty() ? "()" : list(sig.result_types));
}

/// The signatures an export of each ABI name may have.
const std::map<std::string, std::vector<std::string>>& abi_exports() {
  static const std::map<std::string, std::vector<std::string>> exports = {
    {"alloc", {"(i32) -> i32"}},
    {"execute", {"(i32, i32) -> i64"}},
    {"call_tool", {"(i32, i32) -> i64"}},
    {"hook", {"(i32, i32) -> i64"}},
    {"metadata", {"() -> i64"}},
    {"snapshot", {"() -> i64"}},
    {"restore", {"(i32, i32) -> i32"}},
    {"init", {"() -> ()", "() -> i32"}},
    {"start", {"() -> ()", "() -> i32"}},
    {"stop", {"() -> ()", "() -> i32"}},
  };
  return exports;
}

void check_imports(const Module& m, std::vector<abi_problem>& out) {
  static const std::map<std::string, std::string> wanted = {{"log", "(i32, i32, i32) -> ()"},
                                                            {"now", "() -> i64"}};
  for (const auto* import : m.imports) {
    if (!is_allowed_import(import->module_name, import->field_name)) {
      out.push_back({"imports " + import->module_name + "." + import->field_name
                       + ", which Troupe does not offer (troupe.log, troupe.now)"});
      continue;
    }
    const auto* f = wabt::dyn_cast<FuncImport>(import);
    auto want = wanted.at(import->field_name);
    if (f == nullptr || signature(f->func.decl.sig) != want)
      out.push_back({"imports troupe." + import->field_name + " with the wrong type (wanted a function "
                     + want + ")"});
  }
}

void check_exports(const Module& m, std::vector<abi_problem>& out) {
  bool memory = false;
  for (const auto* e : m.exports) {
    if (e->kind == ExternalKind::Memory && e->name == "memory")
      memory = true;
    auto abi = abi_exports().find(e->name);
    if (abi == abi_exports().end() || e->kind != ExternalKind::Func)
      continue;
    const auto* func = m.GetFunc(e->var);
    auto sig = func ? signature(func->decl.sig) : std::string("?");
    bool fits = false;
    for (const auto& allowed : abi->second)
      fits = fits || sig == allowed;
    if (!fits)
      out.push_back({"export '" + e->name + "' is " + sig + ", the plugin ABI wants "
                     + abi->second.front()});
  }
  for (const char* needed : {"alloc", "execute"})
    if (m.GetExport(needed) == nullptr)
      out.push_back({std::string("exports no '") + needed + "' function (see the plugin ABI)"});
  if (!memory)
    out.push_back({"exports no memory named 'memory' (see the plugin ABI)"});
  if ((m.GetExport("snapshot") == nullptr) != (m.GetExport("restore") == nullptr))
    out.push_back({"exports one of 'snapshot' and 'restore' without the other"});
}

} // namespace

std::string read_module_ir(const std::vector<std::uint8_t>& bytes, wabt::Module& m) {
  Errors errors;
  ReadBinaryOptions read_options;
  read_options.fail_on_custom_section_error = false;
  auto invalid = [&] {
    return errors.empty() ? std::string("not a valid WebAssembly module")
                          : "not a valid WebAssembly module: " + errors.front().message;
  };
  // The interpreter's reader validates as it reads; libwabt's IR reader does not, and asserts
  // (aborting the process) on some malformed code. So only bytes the first accepts reach it.
  interp::ModuleDesc desc;
  if (Failed(interp::ReadBinaryInterp("module", bytes.data(), bytes.size(), read_options, &errors,
                                      &desc)))
    return invalid();
  if (Failed(ReadBinaryIr("module", bytes.data(), bytes.size(), read_options, &errors, &m)))
    return invalid();
  ValidateOptions validate_options;
  if (Failed(ValidateModule(&m, &errors, validate_options)))
    return invalid();
  return {};
}

std::vector<abi_problem> abi_problems(const wabt::Module& m, std::uint32_t memory_pages) {
  std::vector<abi_problem> out;
  check_imports(m, out);
  check_exports(m, out);
  for (const auto* mem : m.memories)
    if (mem->page_limits.initial > memory_pages)
      out.push_back({"initial memory of " + std::to_string(mem->page_limits.initial)
                       + " pages is over the default memory limit of "
                       + std::to_string(memory_pages) + " pages",
                     true});
  return out;
}

std::vector<abi_problem> check_module(const std::vector<std::uint8_t>& bytes,
                                      std::uint32_t memory_pages) {
  wabt::Module m;
  if (auto why = read_module_ir(bytes, m); !why.empty())
    return {{why}};
  return abi_problems(m, memory_pages);
}

} // namespace troupe::wasm
