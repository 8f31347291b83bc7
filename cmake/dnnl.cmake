# CPU runner: oneDNN's C API (Debian's libdnnl-dev). Without it the cpu
# backend is a clear run-time error and its tests skip.
# WATTPROF_DNNL: AUTO (default), ON or OFF.
if(NOT WATTPROF_DNNL STREQUAL "OFF")
  find_path(WATTPROF_DNNL_INCLUDE dnnl.h)
  find_library(WATTPROF_DNNL_LIB dnnl)
endif()
wattprof_feature_found(WATTPROF_DNNL "oneDNN (apt-get install libdnnl-dev)" WATTPROF_DNNL_INCLUDE WATTPROF_DNNL_LIB)
if(WATTPROF_DNNL_FOUND)
  wattprof_feature_use(DNNL INCLUDES ${WATTPROF_DNNL_INCLUDE} LIBS ${WATTPROF_DNNL_LIB})
  message(STATUS "CPU runner: oneDNN ${WATTPROF_DNNL_LIB}")
else()
  message(STATUS "CPU runner: OFF (WATTPROF_DNNL=${WATTPROF_DNNL}; needs oneDNN: apt-get install libdnnl-dev)")
endif()
