# Writes OUT: a file that starts with the WebAssembly magic and version ("\0asm", 1) and then
# bytes that are no valid section (for the malformed-binary test). CMake strings cannot hold NUL
# bytes, so the 8-byte header comes from wat2wasm (WAT2WASM) compiling the empty module.
# Usage: cmake -DWAT2WASM=... -DOUT=.../malformed.wasm -P malformed.cmake
set(empty_wat ${OUT}.empty.wat)
file(WRITE ${empty_wat} "(module)\n")
execute_process(COMMAND ${WAT2WASM} ${empty_wat} -o ${OUT} RESULT_VARIABLE rc)
file(REMOVE ${empty_wat})
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "wat2wasm failed on the empty module")
endif()
file(SIZE ${OUT} size)
if(NOT size EQUAL 8)
  message(FATAL_ERROR "the empty module is ${size} bytes, expected 8 (magic + version)")
endif()
# 0x7a ('z') is no section id; the rest is junk too.
file(APPEND ${OUT} "zzzz this is not a WebAssembly section")
