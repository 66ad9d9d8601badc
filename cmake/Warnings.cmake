# Build warnings are errors (team rule). Sanitizers are switched on for every target at once.
function(dcsim_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wimplicit-fallthrough -Werror)
endfunction()

if(DCSIM_FUZZ)  # ASan + UBSan with libFuzzer's coverage: scripts/sanitize.sh runs the unit tests, scripts/fuzz.sh the harnesses
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined
                      -fsanitize-coverage-ignorelist=${PROJECT_SOURCE_DIR}/cmake/fuzz-coverage-ignore.txt
                      -Wno-unknown-warning-option)  # GCC-only pragmas (-Wrestrict) in the sources
  add_link_options(-fsanitize=address,undefined)
elseif(DCSIM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
