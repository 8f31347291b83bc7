# Test-only stand-in for libnvidia-ml.so.1 (tests/fake_nvml/fake_nvml.c): lets
# tests/test_sensor.c exercise the NVML source (dlopen, both rail kinds,
# errors) on machines without an NVIDIA driver. Never installed.
add_library(wattprof_fake_nvml SHARED ${CMAKE_SOURCE_DIR}/tests/fake_nvml/fake_nvml.c)
set_target_properties(wattprof_fake_nvml PROPERTIES OUTPUT_NAME fake_nvml)
target_link_libraries(wattprof_fake_nvml PRIVATE wattprof_warnings)
# The define goes on the tests that use it (tests/CMakeLists.txt), never on
# the library or the tool.
if(NOT BUILD_TESTING)
  set_target_properties(wattprof_fake_nvml PROPERTIES EXCLUDE_FROM_ALL TRUE)
endif()
