# The dependencies that ship no CMake config in Debian 12, imported by hand: CAF 0.17.6 (neither a
# CMake config nor a pkg-config file), msgpack-c and RapidJSON (header-only), Lua 5.4 built as C++
# (pkg-config). Used by Troupe's build and, installed beside troupeConfig.cmake, by programs that
# find_package(troupe). Each target is made only if it does not exist yet.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

if(NOT TARGET caf::core)
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
endif()

# libcaf_openssl: mutual TLS between the nodes of a cluster.
if(NOT TARGET caf::openssl)
  find_package(OpenSSL REQUIRED)
  find_library(CAF_OPENSSL_LIB caf_openssl REQUIRED)
  add_library(caf::openssl INTERFACE IMPORTED)
  set_target_properties(caf::openssl PROPERTIES
    INTERFACE_LINK_LIBRARIES "${CAF_OPENSSL_LIB};caf::io;OpenSSL::SSL;OpenSSL::Crypto")
endif()

# lua5.4-c++: Lua built as C++, so Lua errors are exceptions that run destructors.
if(NOT TARGET PkgConfig::LUA)
  pkg_check_modules(LUA REQUIRED IMPORTED_TARGET lua5.4-c++)
endif()

# msgpack-c's C++ API is header-only; MSGPACK_NO_BOOST keeps Boost out.
if(NOT TARGET msgpack::cxx)
  find_path(MSGPACK_INCLUDE_DIR msgpack.hpp REQUIRED)
  add_library(msgpack::cxx INTERFACE IMPORTED)
  set_target_properties(msgpack::cxx PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${MSGPACK_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "MSGPACK_NO_BOOST;MSGPACK_DEFAULT_API_VERSION=3")
endif()

# RapidJSON (header-only): the SAX parser behind Lua's json_parse, several times faster than
# nlohmann's (see docs/dependencies.md).
if(NOT TARGET rapidjson)
  find_path(RAPIDJSON_INCLUDE_DIR rapidjson/reader.h REQUIRED)
  add_library(rapidjson INTERFACE IMPORTED)
  set_target_properties(rapidjson PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${RAPIDJSON_INCLUDE_DIR}")
endif()
