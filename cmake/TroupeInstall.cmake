# `cmake --install`: the core libraries with their public headers (under include/troupe), the
# exported targets and package config (lib/cmake/troupe, so that a program writes
# find_package(troupe) and links troupe::troupe), the `troupe` binary, and the example library
# plugin where the binary looks for it (lib/troupe/plugins). The example plugins' library
# (troupe_examples, with SQLite) is not installed.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# troupe::troupe: everything an embedding program needs.
add_library(troupe_all INTERFACE)
target_link_libraries(troupe_all INTERFACE troupe_actors troupe_plugins troupe_lua troupe_messages
                                           troupe_node)
set_target_properties(troupe_all PROPERTIES EXPORT_NAME troupe)
add_library(troupe::troupe ALIAS troupe_all)

set(troupe_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/troupe)
install(TARGETS troupe_messages troupe_plugins troupe_lua troupe_wasm troupe_kinds troupe_supervision
                troupe_actors troupe_cluster troupe_gateway troupe_mcp troupe_http troupe_node troupe_all
        EXPORT troupeTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/troupe)
install(DIRECTORY messages plugins actors cluster gateway mcp http node
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/troupe
        FILES_MATCHING PATTERN "*.hpp"
        PATTERN "examples" EXCLUDE)
# The C header for WebAssembly plugin authors (docs/wasm-plugins.md).
install(FILES plugins/wasm/sdk/troupe_wasm.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/troupe/plugins/wasm/sdk)
install(EXPORT troupeTargets NAMESPACE troupe:: DESTINATION ${troupe_cmake_dir})
configure_package_config_file(cmake/troupeConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/troupeConfig.cmake
                              INSTALL_DESTINATION ${troupe_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/troupeConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/troupeConfig.cmake
              ${PROJECT_BINARY_DIR}/troupeConfigVersion.cmake
              cmake/TroupeImports.cmake
        DESTINATION ${troupe_cmake_dir})

install(TARGETS troupe RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# <bin>/../lib/troupe/plugins is on the binary's library search path (docs/configuration.md).
install(TARGETS troupe_word_count LIBRARY DESTINATION lib/troupe/plugins)
