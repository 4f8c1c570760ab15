#pragma once
// One WebAssembly plugin module in libwabt's interpreter (docs/wasm-plugins.md, issue 15): read
// and checked against the plugin ABI, instantiated in a Store of its own with the host imports
// troupe.log and troupe.now, and called with msgpack payloads in its linear memory.
// WORK IN PROGRESS (branch wasm): no fuel or time limit yet.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "messages/payload.hpp"

namespace troupe::wasm {

/// Limits of one module.
struct module_limits {
  std::size_t module_bytes = 16 * 1024 * 1024; ///< Largest binary accepted.
  std::uint32_t memory_pages = 256;            ///< Linear memory cap (64 KiB pages): 16 MiB.
};

/// A loaded, instantiated module. Used from one thread at a time.
class wasm_module {
public:
  /// Reads `bytes` (named `file` in errors, for plugin `plugin`), checks the ABI (exports
  /// alloc and execute; imports only troupe.log and troupe.now), caps its memory and
  /// instantiates it. load_failed / limit_exceeded naming the plugin and the file otherwise.
  static caf::expected<std::unique_ptr<wasm_module>>
  load(const std::string& plugin, const std::string& file, const std::vector<std::uint8_t>& bytes,
       module_limits limits = {});

  ~wasm_module();
  wasm_module(const wasm_module&) = delete;
  wasm_module& operator=(const wasm_module&) = delete;

  /// Copies `input` into memory (alloc), calls execute(ptr, len) and reads the result bytes
  /// (ptr << 32 | len). plugin_failed with the trap's message on a trap.
  caf::expected<payload> execute(const payload& input);

  /// Whether the module exports function `name`.
  bool exports(const std::string& name) const;

  struct impl;

private:
  explicit wasm_module(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace troupe::wasm
