# CUDA runner: cuDNN + cuBLAS C APIs and the CUDA runtime, plain C (no nvcc
# needed), built where the CUDA toolkit AND cuDNN are found as the shared
# module libwattprof_cuda.so. The library links none of them: src/net/runner.c
# dlopens the module only when a cuda runner is created, so every other
# command stays free of ~150 MB of CUDA library pages and their start-up.
# Elsewhere `--backend cuda` is a clear run-time error and its tests skip.
# WATTPROF_CUDA: AUTO (default), ON or OFF. The toolkit comes from CMake's
# FindCUDAToolkit (CUDAToolkit_ROOT or nvcc on PATH to point at one);
# cuDNN, which it does not cover, is searched beside it.
if(NOT WATTPROF_CUDA STREQUAL "OFF")
  if(NOT CUDAToolkit_ROOT AND EXISTS /usr/local/cuda)
    set(CUDAToolkit_ROOT /usr/local/cuda)
  endif()
  find_package(CUDAToolkit QUIET)
  set(WATTPROF_CUDA_HINTS ${CUDAToolkit_LIBRARY_ROOT} ${CUDAToolkit_TARGET_DIR} /usr/local/cuda)
  find_path(WATTPROF_CUDNN_INCLUDE cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS} ${WATTPROF_CUDA_HINTS}
            PATH_SUFFIXES include)
  find_library(WATTPROF_CUDNN_LIB cudnn HINTS ${CUDAToolkit_LIBRARY_DIR} ${WATTPROF_CUDA_HINTS}
               PATH_SUFFIXES lib64 lib)
endif()
wattprof_feature_found(WATTPROF_CUDA "the CUDA toolkit (cudart, cuBLAS) or cuDNN" CUDAToolkit_FOUND CUDA_cudart_LIBRARY
                       CUDA_cublas_LIBRARY WATTPROF_CUDNN_INCLUDE WATTPROF_CUDNN_LIB)
if(WATTPROF_CUDA_FOUND)
  add_library(wattprof_cuda MODULE ${CMAKE_SOURCE_DIR}/src/net/runner_cuda.c)
  # Only the entry point (wp_cuda_module_ops) is exported.
  set_target_properties(wattprof_cuda PROPERTIES C_VISIBILITY_PRESET hidden POSITION_INDEPENDENT_CODE ON
                        LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
  target_include_directories(wattprof_cuda PRIVATE ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/src)
  target_include_directories(wattprof_cuda SYSTEM PRIVATE ${CUDAToolkit_INCLUDE_DIRS} ${WATTPROF_CUDNN_INCLUDE})
  target_link_libraries(wattprof_cuda PRIVATE ${WATTPROF_CUDNN_LIB} CUDA::cublas CUDA::cudart m wattprof_warnings)
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
  message(STATUS "CUDA runner module: CUDA ${CUDAToolkit_VERSION}, cuDNN ${WATTPROF_CUDNN_LIB}")
else()
  message(STATUS "CUDA runner: OFF (WATTPROF_CUDA=${WATTPROF_CUDA}; needs the CUDA toolkit and cuDNN; --backend cuda will be an error)")
endif()
