# CUDA runner: cuDNN + cuBLAS C APIs and the CUDA runtime, plain C (no nvcc
# needed). Built only where the CUDA toolkit AND cuDNN are found; elsewhere
# `--backend cuda` is a clear run-time error and its tests skip.
option(WATTPROF_CUDA "Build the CUDA runner where CUDA and cuDNN are found" ON)
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
  target_include_directories(wattprof_lib SYSTEM PRIVATE ${WATTPROF_CUDART_INCLUDE} ${WATTPROF_CUDNN_INCLUDE})
  target_link_libraries(wattprof_lib PUBLIC ${WATTPROF_CUDNN_LIB} ${WATTPROF_CUBLAS_LIB} ${WATTPROF_CUDART_LIB})
  target_compile_definitions(wattprof_lib PRIVATE WATTPROF_HAVE_CUDNN=1)
  # cuDNN 9 marks parts of the classic API we use as deprecated.
  set_source_files_properties(${CMAKE_SOURCE_DIR}/src/runner_cuda.c PROPERTIES
    COMPILE_OPTIONS "-Wno-deprecated-declarations")
  message(STATUS "CUDA runner: cuDNN ${WATTPROF_CUDNN_LIB}, cuBLAS ${WATTPROF_CUBLAS_LIB}")
else()
  message(STATUS "CUDA runner: OFF (needs the CUDA toolkit and cuDNN; --backend cuda will be an error)")
endif()
