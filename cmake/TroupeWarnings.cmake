# troupe_target_warnings(TARGET): -Wall -Wextra on Troupe's own code. Third-party headers are
# system includes, so their warnings do not count against us.
function(troupe_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(TROUPE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
