// Fuzzes the loading of a WebAssembly plugin module (plugins/wasm): the static ABI check
// (check_module), the metering rewrite with libwabt's IR (meter_module) and the interpreter's
// reader, instantiation and calls (wasm_module). The input is a module's bytes, as an untrusted
// author hands them over.
//
// Checked:
//   - no crash, leak, undefined behaviour or escaping exception;
//   - a module that loads answers execute (and call_tool and hook, if it exports them) with a
//     payload or an error (never hangs: small fuel and
//     time limits), and takes back the snapshot the host took of it (a module with snapshot and
//     restore exports may refuse its own);
//   - a module check_module finds errors in never loads.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "messages/errors.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/wasm/module_check.hpp"
#include "plugins/wasm/wasm_module.hpp"

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_wasm_module: invariant failed: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  bool abi_errors = false;
  for (const auto& p : troupe::wasm::check_module(bytes, 16))
    abi_errors = abi_errors || !p.warning;
  troupe::wasm::module_limits limits;
  limits.fuel = 200'000;
  limits.wall_time = std::chrono::milliseconds(200);
  limits.memory_pages = 16;
  limits.module_bytes = 1 << 20;
  auto m = troupe::wasm::wasm_module::load("fuzz", "fuzz.wasm", bytes, limits);
  if (!m)
    return 0;
  require(!abi_errors, "a module with ABI errors loaded");
  auto out = (*m)->execute(troupe::pack(std::string("input")));
  if (!out) {
    auto code = troupe::code_name(out.error());
    require(code == "plugin_failed" || code == "limit_exceeded", "execute: an unexpected error");
  }
  auto expected_error = [](const caf::expected<troupe::payload>& r) {
    if (r)
      return true;
    auto code = troupe::code_name(r.error());
    return code == "plugin_failed" || code == "limit_exceeded";
  };
  if ((*m)->exports("call_tool"))
    require(expected_error((*m)->call_tool("t", troupe::pack(std::map<std::string, int>{{"a", 1}}))),
            "call_tool: an unexpected error");
  if ((*m)->exports("hook"))
    require(expected_error((*m)->call_hook("before_tool_call", troupe::nil_payload())),
            "hook: an unexpected error");
  auto state = (*m)->snapshot();
  if (state) // a module's own snapshot export may trap or run out of fuel
    require(!(*m)->restore(*state) || (*m)->exports("restore"),
            "a module refused the snapshot the host took of it");
  return 0;
}
