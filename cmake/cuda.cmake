# CUDA runner: cuDNN + cuBLAS C APIs and the CUDA runtime, plain C (no nvcc
# needed), built where the CUDA toolkit AND cuDNN are found as the shared
# module libwattprof_cuda.so. The library links none of them: src/net/runner.c
# dlopens the module only when a cuda runner is created, so every other
# command stays free of ~150 MB of CUDA library pages and their start-up.
# Elsewhere `--backend cuda` is a clear run-time error and its tests skip.
option(WATTPROF_CUDA "Build the CUDA runner module where CUDA and cuDNN are found" ON)
set(WATTPROF_CUDA_HINTS /usr/local/cuda /usr/local/cuda/targets/x86_64-linux /usr/local/cuda/targets/aarch64-linux)
if(WATTPROF_CUDA)
  find_path(WATTPROF_CUDART_INCLUDE cuda_runtime_api.h HINTS ${WATTPROF_CUDA_HINTS} PATH_SUFFIXES include)
  find_path(WATTPROF_CUDNN_INCLUDE cudnn.h HINTS ${WATTPROF_CUDA_HINTS} PATH_SUFFIXES include)
  find_library(WATTPROF_CUDART_LIB cudart HINTS ${WATTPROF_CUDA_HINTS} PATH_SUFFIXES lib64 lib)
  find_library(WATTPROF_CUBLAS_LIB cublas HINTS ${WATTPROF_CUDA_HINTS} PATH_SUFFIXES lib64 lib)
  find_library(WATTPROF_CUDNN_LIB cudnn HINTS ${WATTPROF_CUDA_HINTS} PATH_SUFFIXES lib64 lib)
endif()
if(WATTPROF_CUDA AND WATTPROF_CUDART_INCLUDE AND WATTPROF_CUDNN_INCLUDE AND WATTPROF_CUDART_LIB
   AND WATTPROF_CUBLAS_LIB AND WATTPROF_CUDNN_LIB)
  add_library(wattprof_cuda MODULE ${CMAKE_SOURCE_DIR}/src/net/runner_cuda.c)
  # Only the entry point (wp_cuda_module_ops) is exported.
  set_target_properties(wattprof_cuda PROPERTIES C_VISIBILITY_PRESET hidden POSITION_INDEPENDENT_CODE ON
                        LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
  target_include_directories(wattprof_cuda PRIVATE ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src)
  target_include_directories(wattprof_cuda SYSTEM PRIVATE ${WATTPROF_CUDART_INCLUDE} ${WATTPROF_CUDNN_INCLUDE})
  target_link_libraries(wattprof_cuda PRIVATE ${WATTPROF_CUDNN_LIB} ${WATTPROF_CUBLAS_LIB} ${WATTPROF_CUDART_LIB} m)
  if(NOT WATTPROF_SANITIZE)
    # Proves the module needs nothing from the executable that loads it
    # (clang leaves the sanitizer runtime to the executable, so not there).
    target_link_options(wattprof_cuda PRIVATE -Wl,-z,defs)
  endif()
  # cuDNN 9 marks parts of the classic API we use as deprecated.
  target_compile_options(wattprof_cuda PRIVATE -Wno-deprecated-declarations)
  # Where runner.c looks for the module: $WATTPROF_CUDA_MODULE, else the
  # build tree's, else the installed one. Built whenever the library is.
  # Installed, it keeps the run path to CUDA libraries outside the system
  # directories (/usr/local/cuda/lib64 is not in ld.so.conf everywhere).
  set_target_properties(wattprof_cuda PROPERTIES INSTALL_RPATH_USE_LINK_PATH TRUE)
  install(TARGETS wattprof_cuda LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/wattprof)
  target_compile_definitions(wattprof_lib PRIVATE WATTPROF_CUDA_MODULE="$<TARGET_FILE:wattprof_cuda>"
    WATTPROF_CUDA_MODULE_INSTALLED="${CMAKE_INSTALL_FULL_LIBDIR}/wattprof/$<TARGET_FILE_NAME:wattprof_cuda>")
  add_dependencies(wattprof_lib wattprof_cuda)
  message(STATUS "CUDA runner module: cuDNN ${WATTPROF_CUDNN_LIB}, cuBLAS ${WATTPROF_CUBLAS_LIB}")
else()
  message(STATUS "CUDA runner: OFF (needs the CUDA toolkit and cuDNN; --backend cuda will be an error)")
endif()
