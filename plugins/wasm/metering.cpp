#include "plugins/wasm/metering.hpp"

#include <algorithm>
#include <memory>

#include "wabt/apply-names.h"
#include "wabt/binary-reader-ir.h"
#include "wabt/binary-reader.h"
#include "wabt/binary-writer.h"
#include "wabt/cast.h"
#include "wabt/generate-names.h"
#include "wabt/ir.h"
#include "wabt/resolve-names.h"
#include "wabt/stream.h"
#include "wabt/validator.h"

#include "plugins/wasm/module_check.hpp"

namespace troupe::wasm {

namespace {

using namespace wabt;

const std::string fuel_name = "$__troupe_fuel";
const std::string tick_name = "$__troupe_tick";
const std::string grow_name = "$__troupe_grow";
const std::string bulk_name = "$__troupe_bulk";

std::string first_error(const Errors& errors, const std::string& fallback) {
  return errors.empty() ? fallback : fallback + ": " + errors.front().message;
}

/// Adds the check "gauge -= cost; if gauge < 0: tick()" at the front of `list`, and instruments
/// what `list` contains.
class rewriter {
public:
  /// Meters the code of one function or loop body.
  void meter(ExprList& list) {
    auto cost = std::max<std::int64_t>(walk(list), 1);
    std::vector<std::unique_ptr<Expr>> check;
    check.push_back(std::make_unique<GlobalGetExpr>(var(fuel_name)));
    check.push_back(std::make_unique<ConstExpr>(Const::I64(static_cast<std::uint64_t>(cost))));
    check.push_back(std::make_unique<BinaryExpr>(Opcode::I64Sub));
    check.push_back(std::make_unique<GlobalSetExpr>(var(fuel_name)));
    check.push_back(std::make_unique<GlobalGetExpr>(var(fuel_name)));
    check.push_back(std::make_unique<ConstExpr>(Const::I64(0)));
    check.push_back(std::make_unique<CompareExpr>(Opcode::I64LtS));
    auto branch = std::make_unique<IfExpr>();
    branch->true_.exprs.push_back(std::make_unique<CallExpr>(var(tick_name)));
    check.push_back(std::move(branch));
    auto first = list.begin();
    for (auto& e : check)
      list.insert(first, std::move(e));
  }

private:
  static Var var(const std::string& name) { return Var(name, Location()); }

  /// The static instruction count of `list` without nested loop bodies (metered at their own
  /// headers); guards every memory.grow in it.
  std::int64_t walk(ExprList& list) {
    std::int64_t cost = 0;
    for (auto it = list.begin(); it != list.end(); ++it) {
      Expr& e = *it;
      ++cost;
      switch (e.type()) {
        case ExprType::Block: cost += walk(cast<BlockExpr>(&e)->block.exprs); break;
        case ExprType::If: {
          auto* branch = cast<IfExpr>(&e);
          cost += walk(branch->true_.exprs) + walk(branch->false_);
          break;
        }
        case ExprType::Try: {
          auto* t = cast<TryExpr>(&e);
          cost += walk(t->block.exprs);
          for (auto& c : t->catches)
            cost += walk(c.exprs);
          break;
        }
        case ExprType::Loop: meter(cast<LoopExpr>(&e)->block.exprs); break;
        case ExprType::MemoryGrow: list.insert(it, std::make_unique<CallExpr>(var(grow_name))); break;
        case ExprType::MemoryFill:
        case ExprType::MemoryCopy:
        case ExprType::MemoryInit:
        case ExprType::TableFill:
        case ExprType::TableCopy:
        case ExprType::TableInit:
        case ExprType::TableGrow: // each takes its length (an i32) last, so on top of the stack
          list.insert(it, std::make_unique<CallExpr>(var(bulk_name)));
          break;
        default: break;
      }
    }
    return cost;
  }
};

/// The index of the function type params -> results, added if the module has none.
Index func_type(Module& m, TypeVector params, TypeVector results) {
  FuncSignature sig;
  sig.param_types = std::move(params);
  sig.result_types = std::move(results);
  auto found = m.GetFuncTypeIndex(sig);
  if (found != kInvalidIndex)
    return found;
  auto type = std::make_unique<FuncType>();
  type->sig = sig;
  auto field = std::make_unique<TypeModuleField>();
  field->type = std::move(type);
  m.AppendField(std::move(field));
  return static_cast<Index>(m.types.size() - 1);
}

/// Adds the host import troupe.<field> named `name`, after the module's own function imports so
/// that only defined functions move (their references are names at this point).
void add_import(Module& m, const std::string& name, const std::string& field, Index type) {
  auto import = std::make_unique<FuncImport>(name);
  import->module_name = "troupe";
  import->field_name = field;
  import->func.decl.has_func_type = true;
  import->func.decl.type_var = Var(type, Location());
  import->func.decl.sig = cast<FuncType>(m.types[type])->sig;
  m.AppendField(std::make_unique<ImportModuleField>(std::move(import)));
  auto* added = m.funcs.back();
  m.funcs.pop_back();
  m.funcs.insert(m.funcs.begin() + (m.num_func_imports - 1), added);
  m.func_bindings.clear();
  for (Index i = 0; i < m.funcs.size(); ++i)
    if (!m.funcs[i]->name.empty())
      m.func_bindings.emplace(m.funcs[i]->name, Binding(i));
}

/// Appends the fuel gauge global; answers its index.
std::uint32_t add_gauge(Module& m, std::int64_t initial_fuel) {
  auto field = std::make_unique<GlobalModuleField>(Location(), fuel_name);
  field->global.type = Type::I64;
  field->global.mutable_ = true;
  field->global.init_expr.push_back(
    std::make_unique<ConstExpr>(Const::I64(static_cast<std::uint64_t>(initial_fuel))));
  m.AppendField(std::move(field));
  return static_cast<std::uint32_t>(m.globals.size() - 1);
}

} // namespace

bool is_allowed_import(const std::string& module, const std::string& field) {
  return module == "troupe" && (field == "log" || field == "now");
}

metering_result meter_module(const std::vector<std::uint8_t>& bytes, std::int64_t initial_fuel) {
  metering_result out;
  Module m;
  if (out.error = read_module_ir(bytes, m); !out.error.empty())
    return out;
  for (const auto& problem : abi_problems(m, 65536))
    if (!problem.warning) {
      out.error = problem.message;
      return out;
    }
  out.module.own_globals = static_cast<std::uint32_t>(m.globals.size());
  if (Failed(GenerateNames(&m)) || Failed(ApplyNames(&m))) {
    out.error = "cannot be rewritten for metering (naming failed)";
    return out;
  }
  out.module.fuel_global = add_gauge(m, initial_fuel);
  add_import(m, tick_name, tick_import, func_type(m, {}, {}));
  add_import(m, grow_name, grow_import, func_type(m, {Type::I32}, {Type::I32}));
  add_import(m, bulk_name, bulk_import, func_type(m, {Type::I32}, {Type::I32}));
  rewriter r;
  for (Index i = m.num_func_imports; i < m.funcs.size(); ++i)
    r.meter(m.funcs[i]->exprs);
  Errors errors;
  ValidateOptions validate_options;
  if (Failed(ResolveNamesModule(&m, &errors)) || Failed(ValidateModule(&m, &errors, validate_options))) {
    out.error = first_error(errors, "cannot be rewritten for metering");
    return out;
  }
  MemoryStream stream;
  WriteBinaryOptions write_options;
  if (Failed(WriteBinaryModule(&stream, &m, write_options))) {
    out.error = "cannot be rewritten for metering (writing failed)";
    return out;
  }
  out.module.bytes = std::move(stream.output_buffer().data);
  return out;
}

metering_result metering_cache::get(const std::vector<std::uint8_t>& bytes,
                                    std::int64_t initial_fuel) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (initial_fuel == initial_fuel_ && bytes == bytes_)
      return {module_, {}};
  }
  auto result = meter_module(bytes, initial_fuel);
  if (result.error.empty()) {
    std::lock_guard<std::mutex> guard{mutex_};
    bytes_ = bytes;
    initial_fuel_ = initial_fuel;
    module_ = result.module;
  }
  return result;
}

} // namespace troupe::wasm
