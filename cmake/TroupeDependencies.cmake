# Imports every third-party dependency from Debian 12 packages (deploy/install-deps.sh).
# CAF 0.17.6 ships neither a CMake config nor a pkg-config file, so it is imported by hand.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIB caf_core REQUIRED)
find_library(CAF_IO_LIB caf_io REQUIRED)
add_library(caf::core INTERFACE IMPORTED)
set_target_properties(caf::core PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${CAF_CORE_LIB};Threads::Threads")
add_library(caf::io INTERFACE IMPORTED)
set_target_properties(caf::io PROPERTIES
  INTERFACE_LINK_LIBRARIES "${CAF_IO_LIB};caf::core")

# lua5.4-c++: Lua built as C++, so Lua errors are exceptions that run destructors.
pkg_check_modules(LUA REQUIRED IMPORTED_TARGET lua5.4-c++)

# msgpack-c's C++ API is header-only; MSGPACK_NO_BOOST keeps Boost out.
find_path(MSGPACK_INCLUDE_DIR msgpack.hpp REQUIRED)
add_library(msgpack::cxx INTERFACE IMPORTED)
set_target_properties(msgpack::cxx PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${MSGPACK_INCLUDE_DIR}"
  INTERFACE_COMPILE_DEFINITIONS "MSGPACK_NO_BOOST;MSGPACK_DEFAULT_API_VERSION=3")

find_package(spdlog CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
# RapidJSON (header-only): the SAX parser behind Lua's json_parse, several times faster than
# nlohmann's (see docs/dependencies.md).
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/reader.h REQUIRED)
add_library(rapidjson INTERFACE IMPORTED)
set_target_properties(rapidjson PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${RAPIDJSON_INCLUDE_DIR}")
# utfcpp (header-only): strict UTF-8 validation (overlong forms and surrogates refused).
find_package(utf8cpp CONFIG REQUIRED)
find_package(tomlplusplus CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(SQLite3 REQUIRED)
