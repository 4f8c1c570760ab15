#pragma once
// The inside of wasm_module, shared by its source files (load, calls, state). Internal to
// plugins/wasm.

#include <map>
#include <memory>
#include <string>

#include "wabt/interp/interp.h"

#include "plugins/wasm/call_meter.hpp"
#include "plugins/wasm/wasm_module.hpp"

namespace troupe::wasm {

namespace wi = wabt::interp;

struct wasm_module::impl {
  impl(std::string plugin_id, std::string file_name, module_limits l)
    : plugin(std::move(plugin_id)), file(std::move(file_name)), limits(l),
      meter(l.fuel, l.wall_time) {}

  std::string plugin;
  std::string file;
  module_limits limits;
  call_meter meter;
  wi::Store store;
  wi::Module::Ptr module;
  wi::Instance::Ptr instance;
  std::unique_ptr<wi::Thread> thread;
  std::map<std::string, wi::Func::Ptr> funcs; ///< Every exported function (checked by module_check).
  wi::Func::Ptr alloc_fn;     ///< The hot exports, looked up once.
  wi::Func::Ptr execute_fn;
  wi::Func::Ptr call_tool_fn; ///< Null if not exported.
  wi::Func::Ptr hook_fn;      ///< Null if not exported.
  wi::Func::Ptr snapshot_fn;  ///< The module's own state exports; both null or both set.
  wi::Func::Ptr restore_fn;
  wi::Memory::Ptr memory;
  std::uint32_t gauge_index = 0;
  wi::Global::Ptr gauge;                    ///< Set once instantiated.
  std::vector<wi::Global::Ptr> state_globals; ///< The module's own mutable globals.

  std::uint64_t fuel_total = 0;
  std::int64_t fuel_stops = 0;
  std::int64_t time_stops = 0;
  std::int64_t memory_stops = 0;
  std::int64_t traps = 0;
  std::uint32_t log_lines = 0;   ///< troupe.log lines written in the current call.
  std::uint32_t log_dropped = 0; ///< Lines over the cap in the current call.
  std::int64_t log_dropped_total = 0;

  /// Arms the meter for one plugin call (which may call several exports: alloc, execute).
  void begin();

  /// Calls export `name` under the armed budget; plugin_failed / limit_exceeded as documented
  /// in wasm_module.hpp, with `name` in the message.
  caf::expected<wi::Values> call(const std::string& name, wi::Func& func, const wi::Values& params);

  /// The error for a call of `what` that trapped with `trap`.
  caf::error trap_error(const std::string& what, const wi::Trap::Ptr& trap);

  /// Copies `bytes` into memory got from alloc; answers the pointer.
  caf::expected<std::uint32_t> copy_in(const std::vector<std::uint8_t>& bytes);

  /// The bytes a packed (ptr << 32 | len) result of `what` points at; the error bit (bit 31 of
  /// len) makes it plugin_failed with the bytes as its message.
  caf::expected<std::vector<std::uint8_t>> result_bytes(const std::string& what,
                                                        std::uint64_t packed);

  /// Calls `func` (named `name`) with `bytes` copied in as (ptr, len); answers its results.
  caf::expected<wi::Values> call_with_bytes(const std::string& name, wi::Func& func,
                                            const std::vector<std::uint8_t>& bytes);

  /// Sets the gauge (the instantiation's start function reads it before `gauge` is set).
  void set_gauge(wi::Thread& thread, std::int64_t value);
  std::int64_t gauge_value(wi::Thread& thread);
};

} // namespace troupe::wasm
