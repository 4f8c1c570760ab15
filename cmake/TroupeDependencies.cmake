# Imports every third-party dependency from Debian 12 packages (deploy/install-deps.sh).
# The ones without a CMake config (CAF, msgpack-c, RapidJSON, Lua) are imported by hand in
# TroupeImports.cmake, which the installed package config uses too.
include(${CMAKE_CURRENT_LIST_DIR}/TroupeImports.cmake)

find_package(spdlog CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
# utfcpp (header-only): strict UTF-8 validation (overlong forms and surrogates refused).
find_package(utf8cpp CONFIG REQUIRED)
find_package(tomlplusplus CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
# Only the example plugins (troupe_examples) use SQLite.
find_package(SQLite3 REQUIRED)
# WebAssembly plugins: libwabt (interpreter, IR reader and writer), wabt::wabt.
find_package(wabt CONFIG REQUIRED)
