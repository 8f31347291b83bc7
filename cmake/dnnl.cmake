# CPU runner: oneDNN's C API (Debian's libdnnl-dev). Without it the cpu
# backend is a clear run-time error and its tests skip.
find_path(WATTPROF_DNNL_INCLUDE dnnl.h)
find_library(WATTPROF_DNNL_LIB dnnl)
if(WATTPROF_DNNL_INCLUDE AND WATTPROF_DNNL_LIB)
  target_include_directories(wattprof_lib PRIVATE ${WATTPROF_DNNL_INCLUDE})
  target_link_libraries(wattprof_lib PUBLIC ${WATTPROF_DNNL_LIB})
  target_compile_definitions(wattprof_lib PRIVATE WATTPROF_HAVE_DNNL=1)
  message(STATUS "CPU runner: oneDNN ${WATTPROF_DNNL_LIB}")
else()
  message(STATUS "CPU runner: OFF (oneDNN not found: apt-get install libdnnl-dev)")
endif()
