#pragma once
// Static checks of a WebAssembly plugin module against the plugin ABI (docs/wasm-plugins.md),
// without running it: used at load (before metering) and by `troupe validate FILE.wasm`.

#include <cstdint>
#include <string>
#include <vector>

namespace wabt {
struct Module;
}

namespace troupe::wasm {

/// One problem: an error (the module would not load) or a warning.
struct abi_problem {
  std::string message;
  bool warning = false;
};

/// Reads and validates `bytes` into `m` (libwabt's IR); "" or why the bytes are no valid module.
std::string read_module_ir(const std::vector<std::uint8_t>& bytes, wabt::Module& m);

/// The ABI problems of a read module: imports other than troupe.log / troupe.now (or with the
/// wrong signature), missing or mistyped alloc / execute / memory, mistyped optional exports
/// (init, start, stop, metadata, call_tool, hook, snapshot, restore), snapshot without restore or the
/// other way round; a warning for an initial memory over `memory_pages`.
std::vector<abi_problem> abi_problems(const wabt::Module& m, std::uint32_t memory_pages);

/// read_module_ir and abi_problems together.
std::vector<abi_problem> check_module(const std::vector<std::uint8_t>& bytes,
                                      std::uint32_t memory_pages);

} // namespace troupe::wasm
