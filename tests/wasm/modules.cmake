# Test modules for WebAssembly plugins (issue 15), built in the build: from .wat by wat2wasm and
# from C by clang --target=wasm32 and wasm-ld. Defines the target troupe_wasm_test_modules and the
# variable TROUPE_WASM_DIR (where the .wasm files are written).
find_program(TROUPE_WAT2WASM wat2wasm REQUIRED)
set(TROUPE_WASM_DIR ${CMAKE_CURRENT_BINARY_DIR}/wasm_modules)
set(TROUPE_WASM_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/wasm/modules)
set(troupe_wasm_modules)
foreach(name echo foreign_import)
  add_custom_command(OUTPUT ${TROUPE_WASM_DIR}/${name}.wasm
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${TROUPE_WASM_DIR}
                     COMMAND ${TROUPE_WAT2WASM} ${TROUPE_WASM_SOURCES}/${name}.wat
                             -o ${TROUPE_WASM_DIR}/${name}.wasm
                     DEPENDS ${TROUPE_WASM_SOURCES}/${name}.wat)
  list(APPEND troupe_wasm_modules ${TROUPE_WASM_DIR}/${name}.wasm)
endforeach()
add_custom_target(troupe_wasm_test_modules DEPENDS ${troupe_wasm_modules})
