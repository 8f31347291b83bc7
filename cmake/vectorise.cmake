# Inner loops worth -O3's vectoriser (gcc 12's -O2 vectorises only loops
# whose trip count needs no epilogue):
# - the Lasso solver's (axpy over a Gram row, Gram accumulation); results
#   do not depend on it beyond rounding;
# - the CPU runner's Erf kernel (erf_fast: a branch-free rational
#   function, docs/runners.md), whose clamps gcc if-converts into vector
#   min/max only without -ftrapping-math (nothing here reads the
#   floating-point exception flags).
set_source_files_properties(${CMAKE_SOURCE_DIR}/src/model/regression.c PROPERTIES COMPILE_OPTIONS "-O3")
set_source_files_properties(${CMAKE_SOURCE_DIR}/src/net/runner_cpu.c PROPERTIES COMPILE_OPTIONS "-O3;-fno-trapping-math")
