# The Lasso solver's inner loops (axpy over a Gram row, Gram accumulation)
# are worth -O3's vectoriser; results do not depend on it beyond rounding.
set_source_files_properties(${CMAKE_SOURCE_DIR}/src/model/regression.c PROPERTIES COMPILE_OPTIONS "-O3")
