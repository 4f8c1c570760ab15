#pragma once
// The WebAssembly test modules the build makes (tests/wasm/modules.cmake): their paths and bytes.

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef TROUPE_WASM_DIR
#error "TROUPE_WASM_DIR must name the directory of the built test modules"
#endif

namespace troupe::test {

/// The path of built module `name` ("counter" -> ".../wasm_modules/counter.wasm").
inline std::string module_path(const std::string& name) {
  return std::string(TROUPE_WASM_DIR) + "/" + name + ".wasm";
}

/// The bytes of built module `name`; empty if it cannot be read.
inline std::vector<std::uint8_t> module_bytes(const std::string& name) {
  std::ifstream in(module_path(name), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

} // namespace troupe::test
