#pragma once
// One WebAssembly plugin module in libwabt's interpreter (docs/wasm-plugins.md): read, checked
// against the plugin ABI, rewritten for metering (metering.hpp), instantiated in a Store of its
// own with the host imports troupe.log and troupe.now, and called with msgpack payloads in its
// linear memory. Every call into the module (its start function, alloc, execute, call_tool,
// metadata, init/start/stop) runs under the fuel and wall-time limits.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "messages/payload.hpp"

namespace troupe::wasm {

class metering_cache;

/// Limits of one module. A 0 fuel or wall_time disables that limit (not for untrusted code).
struct module_limits {
  std::size_t module_bytes = std::size_t{16} << 20; ///< module_size: largest binary. 16 MiB.
  std::uint32_t memory_pages = 256;   ///< memory_pages: linear memory cap (64 KiB pages). 16 MiB.
  std::uint64_t fuel = 100'000'000;   ///< fuel: instructions per call (as metered).
  std::chrono::milliseconds wall_time{1000}; ///< wall_time_ms: time per call.
};

/// A loaded, instantiated module. Used from one thread at a time.
class wasm_module {
public:
  /// Reads `bytes` (named `file` in errors, for plugin `plugin`), checks the ABI (exports
  /// memory, alloc and execute; imports only troupe.log and troupe.now), caps its memory,
  /// meters it and instantiates it. load_failed naming the file (limit_exceeded for a module or
  /// initial memory over the limits, or a start function that runs out of fuel or time).
  /// With `cache`, a module metered before (same bytes, same limits) is not rewritten again.
  static caf::expected<std::unique_ptr<wasm_module>>
  load(const std::string& plugin, const std::string& file, const std::vector<std::uint8_t>& bytes,
       module_limits limits = {}, metering_cache* cache = nullptr);

  ~wasm_module();
  wasm_module(const wasm_module&) = delete;
  wasm_module& operator=(const wasm_module&) = delete;

  /// Copies `input` into memory (alloc), calls execute(ptr, len) and reads the result.
  /// plugin_failed with the trap's message on a trap or with the module's error message;
  /// limit_exceeded naming the limit when fuel, time or memory ran out.
  caf::expected<payload> execute(const payload& input);

  /// As execute, through the call_tool export with the msgpack array [name, args].
  caf::expected<payload> call_tool(const std::string& name, const payload& args);

  /// Runs the hook export with the msgpack array [point, args] (args: the hook's argument array,
  /// messages/hooks.hpp); answers its result, [action, value] or [action, value, state].
  caf::expected<payload> call_hook(const std::string& point, const payload& args);

  /// The metadata export's JSON text; "" if the module has no metadata export.
  caf::expected<std::string> metadata_json();

  /// Calls lifecycle export `name` (init, start, stop) if there is one: () -> () or () -> i32,
  /// where a nonzero i32 fails the step.
  caf::error lifecycle(const std::string& name);

  /// Whether the module exports function `name`.
  bool exports(const std::string& name) const;

  /// The module's state. If it exports snapshot (and restore): [2, the bytes snapshot answered]
  /// (an error if that call traps or runs out of fuel). Otherwise its linear memory (trailing
  /// zero bytes left out) and its mutable numeric globals: [1, pages, memory, [[type, bits]...]].
  caf::expected<payload> snapshot();

  /// Takes back a snapshot (of this or an earlier version of the module). [2, bytes]: the bytes
  /// are handed to the module's restore export (which must answer 0). [1, ...]: the memory is
  /// grown to the snapshot's pages and copied, the mutable globals set. plugin_failed (nothing
  /// changed by the host) if it does not fit: more pages than the cap, other global types, no
  /// restore export for a [2, ...] state, or bad bytes.
  caf::error restore(const payload& state);

  /// fuel_last (instructions of the last call), fuel_total, fuel_stops, time_stops,
  /// memory_stops, traps, log_lines_dropped (troupe.log lines over 100 in a call),
  /// linear_memory_bytes, linear_memory_limit_bytes.
  std::map<std::string, std::int64_t> counters() const;

  /// The limits in force.
  const module_limits& limits() const;

  struct impl;

private:
  explicit wasm_module(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace troupe::wasm
