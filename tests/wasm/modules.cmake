# Test modules for WebAssembly plugins (issue 15), built in the build: from .wat by wat2wasm and
# from C by clang --target=wasm32 and wasm-ld (with plugins/wasm/sdk/troupe_wasm.h), plus
# malformed.wasm (magic + version + junk). Defines the target troupe_wasm_test_modules and the
# variable TROUPE_WASM_DIR (where the .wasm files are written, each named after its source).
find_program(TROUPE_WAT2WASM wat2wasm REQUIRED)
find_program(TROUPE_WASM_CLANG NAMES clang clang-14 REQUIRED)
find_program(TROUPE_WASM_LD NAMES wasm-ld wasm-ld-14 HINTS /usr/lib/llvm-14/bin REQUIRED)
set(TROUPE_WASM_DIR ${CMAKE_CURRENT_BINARY_DIR}/wasm_modules)
set(TROUPE_WASM_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/wasm/modules)
set(TROUPE_WASM_SDK ${PROJECT_SOURCE_DIR}/plugins/wasm/sdk)
set(troupe_wasm_modules)

# From .wat.
foreach(name echo foreign_import counter counter_v2 lifecycle hostile huge_memory no_execute start_loop
             log_flood counter_snap counter_moved bulk_fill bad_error
             bad_metadata tools_without_call_tool bad_result)
  add_custom_command(OUTPUT ${TROUPE_WASM_DIR}/${name}.wasm
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${TROUPE_WASM_DIR}
                     COMMAND ${TROUPE_WAT2WASM} ${TROUPE_WASM_SOURCES}/${name}.wat
                             -o ${TROUPE_WASM_DIR}/${name}.wasm
                     DEPENDS ${TROUPE_WASM_SOURCES}/${name}.wat
                     VERBATIM)
  list(APPEND troupe_wasm_modules ${TROUPE_WASM_DIR}/${name}.wasm)
endforeach()

# From C: freestanding (no libc), linked by wasm-ld given by full path (works whether it is
# installed as wasm-ld or only as wasm-ld-14). Functions marked TROUPE_EXPORT are the exports;
# wasm-ld exports the memory as "memory".
foreach(name echo_c counter_c transform hash guard)
  add_custom_command(OUTPUT ${TROUPE_WASM_DIR}/${name}.wasm
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${TROUPE_WASM_DIR}
                     COMMAND ${TROUPE_WASM_CLANG} --target=wasm32 -O2 -nostdlib -ffreestanding
                             -Wall -Wextra -I${TROUPE_WASM_SDK} -fuse-ld=${TROUPE_WASM_LD}
                             -Wl,--no-entry -o ${TROUPE_WASM_DIR}/${name}.wasm
                             ${TROUPE_WASM_SOURCES}/${name}.c
                     DEPENDS ${TROUPE_WASM_SOURCES}/${name}.c ${TROUPE_WASM_SDK}/troupe_wasm.h
                     VERBATIM)
  list(APPEND troupe_wasm_modules ${TROUPE_WASM_DIR}/${name}.wasm)
endforeach()

# malformed.wasm: the wasm magic and version, then junk.
add_custom_command(OUTPUT ${TROUPE_WASM_DIR}/malformed.wasm
                   COMMAND ${CMAKE_COMMAND} -E make_directory ${TROUPE_WASM_DIR}
                   COMMAND ${CMAKE_COMMAND} -DWAT2WASM=${TROUPE_WAT2WASM}
                           -DOUT=${TROUPE_WASM_DIR}/malformed.wasm
                           -P ${TROUPE_WASM_SOURCES}/malformed.cmake
                   DEPENDS ${TROUPE_WASM_SOURCES}/malformed.cmake
                   VERBATIM)
list(APPEND troupe_wasm_modules ${TROUPE_WASM_DIR}/malformed.wasm)

# ir_reader_assert.wasm: checked in as found by fuzz_wasm_module: bytes on which Debian's
# libwabt IR reader asserts (aborting the process) unless the validating reader refuses them first.
add_custom_command(OUTPUT ${TROUPE_WASM_DIR}/ir_reader_assert.wasm
                   COMMAND ${CMAKE_COMMAND} -E make_directory ${TROUPE_WASM_DIR}
                   COMMAND ${CMAKE_COMMAND} -E copy ${TROUPE_WASM_SOURCES}/ir_reader_assert.wasm
                           ${TROUPE_WASM_DIR}/ir_reader_assert.wasm
                   DEPENDS ${TROUPE_WASM_SOURCES}/ir_reader_assert.wasm
                   VERBATIM)
list(APPEND troupe_wasm_modules ${TROUPE_WASM_DIR}/ir_reader_assert.wasm)

add_custom_target(troupe_wasm_test_modules DEPENDS ${troupe_wasm_modules})
