# TROUPE_FUZZ (default OFF): the libFuzzer harnesses of tests/fuzz (docs/fuzzing.md), for clang
# only. Their build directory is one of its own (deploy/run-fuzz.sh makes it): every target in it
# is compiled with -fsanitize=fuzzer-no-link,address,undefined (undefined behaviour aborts, so the
# fuzzer sees it), and the harness executables link with -fsanitize=fuzzer,address,undefined.
# Sets TROUPE_FUZZ_ENABLED when the harnesses are to be built.
set(TROUPE_FUZZ_ENABLED OFF)
if(TROUPE_FUZZ)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    set(TROUPE_FUZZ_ENABLED ON)
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                        -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    add_link_options(-fsanitize=address,undefined)
  else()
    message(WARNING "TROUPE_FUZZ needs clang (libFuzzer); with ${CMAKE_CXX_COMPILER_ID} the "
                    "fuzz harnesses are not built. Configure with CC=clang CXX=clang++.")
  endif()
endif()
