// wasm_module (plugins/wasm): modules built from .wat in the build (wat2wasm) loaded, checked
// against the plugin ABI and executed with msgpack payloads.

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "messages/errors.hpp"
#include "plugins/wasm/wasm_module.hpp"

#ifndef TROUPE_WASM_DIR
#error "TROUPE_WASM_DIR must name the directory of the built test modules"
#endif

namespace troupe::wasm {
namespace {

std::vector<std::uint8_t> module_bytes(const std::string& name) {
  std::ifstream in(std::string(TROUPE_WASM_DIR) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(WasmModule, AnEchoModuleAnswersItsInput) {
  auto m = wasm_module::load("echo", "echo.wasm", module_bytes("echo.wasm"));
  ASSERT_TRUE(m) << describe(m.error());
  payload in{{0xa3, 'a', 'b', 'c'}};
  auto out = (*m)->execute(in);
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*out, in);
}

TEST(WasmModule, AForeignImportIsRefusedNamingItAndTheFile) {
  auto m = wasm_module::load("bad", "foreign_import.wasm", module_bytes("foreign_import.wasm"));
  ASSERT_FALSE(m);
  EXPECT_EQ(code_name(m.error()), "load_failed");
  auto text = describe(m.error());
  EXPECT_NE(text.find("foreign_import.wasm"), std::string::npos) << text;
  EXPECT_NE(text.find("env.system"), std::string::npos) << text;
}

TEST(WasmModule, BytesThatAreNoModuleAreRefused) {
  auto m = wasm_module::load("junk", "junk.wasm", {0, 1, 2, 3, 4, 5});
  ASSERT_FALSE(m);
  EXPECT_EQ(code_name(m.error()), "load_failed");
}

TEST(WasmModule, AModuleOverTheSizeLimitIsRefused) {
  module_limits limits;
  limits.module_bytes = 8;
  auto m = wasm_module::load("echo", "echo.wasm", module_bytes("echo.wasm"), limits);
  ASSERT_FALSE(m);
  EXPECT_EQ(code_name(m.error()), "limit_exceeded");
}

} // namespace
} // namespace troupe::wasm
