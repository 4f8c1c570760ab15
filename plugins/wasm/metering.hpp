#pragma once
// Rewrites a WebAssembly module so that its host can bound each call (docs/wasm-plugins.md,
// "Limits"). libwabt's interpreter has no instruction budget, time limit or interrupt, so the
// module itself is changed before it is loaded, with libwabt's IR reader and writer:
// - a mutable i64 global (the fuel gauge, appended after the module's own globals) is lowered at
//   every function entry and loop header by the static instruction count of the code that runs
//   until the next such point; when it drops below zero the module calls the host import
//   troupe.__troupe_tick, which charges the slice, checks the call's fuel and wall-time budget,
//   and either refills the gauge or traps;
// - every memory.grow first calls troupe.__troupe_grow(delta), which traps when the growth would
//   pass the memory cap (so that a violation is a limit error, not a -1 the module may ignore);
// - every bulk operation (memory.fill / copy / init, table.fill / copy / init / grow), one
//   instruction whose work grows with its length operand, first calls troupe.__troupe_bulk(n),
//   which charges n / bulk_bytes_per_fuel fuel (and checks the budget like a tick), so that a loop
//   of 16 MiB fills cannot run for minutes on a few instructions' worth of fuel.
// The count is conservative: both arms of an `if` are charged, a `br` out of a block early is not
// refunded. Deterministic: the same module and input use the same fuel.

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace troupe::wasm {

/// The module names of the host imports the rewrite adds; a module may not import them itself.
constexpr const char* tick_import = "__troupe_tick";
constexpr const char* grow_import = "__troupe_grow";
constexpr const char* bulk_import = "__troupe_bulk";

/// Bytes (or table elements) of a bulk operation charged as one instruction of fuel.
constexpr std::uint32_t bulk_bytes_per_fuel = 8;

/// The imports a plugin module may have (besides those the rewrite adds): module "troupe",
/// fields "log" and "now".
bool is_allowed_import(const std::string& module, const std::string& field);

/// A module ready for the interpreter.
struct metered_module {
  std::vector<std::uint8_t> bytes;  ///< The rewritten binary.
  std::uint32_t fuel_global = 0;    ///< Index of the fuel gauge among all globals (imports first).
  std::uint32_t own_globals = 0;    ///< How many globals the module had before the rewrite.
};

/// Outcome of metering(): the module, or `error` (a sentence without the file name) if the bytes
/// are not a valid module or import something not allowed.
struct metering_result {
  metered_module module;
  std::string error;
};

/// Reads, validates and rewrites `bytes`; the gauge starts at `initial_fuel` (the first slice
/// the instantiation's start function may use).
metering_result meter_module(const std::vector<std::uint8_t>& bytes, std::int64_t initial_fuel);

/// Remembers the last module it metered, so that the instances of one plugin (a restart after a
/// crash) skip the rewrite, most of a load's time, while the file is unchanged. Thread-safe.
class metering_cache {
public:
  /// meter_module(bytes, initial_fuel), or the remembered result for the same bytes and fuel.
  metering_result get(const std::vector<std::uint8_t>& bytes, std::int64_t initial_fuel);

private:
  std::mutex mutex_;
  std::vector<std::uint8_t> bytes_;
  std::int64_t initial_fuel_ = -1;
  metered_module module_;
};

} // namespace troupe::wasm
