# Test-only stand-in for libnvidia-ml.so.1 (tests/fake_nvml/fake_nvml.c): lets
# tests/test_sensor.c exercise the NVML source (dlopen, both rail kinds,
# errors) on machines without an NVIDIA driver. Never installed.
add_library(wattprof_fake_nvml SHARED ${CMAKE_SOURCE_DIR}/tests/fake_nvml/fake_nvml.c)
set_target_properties(wattprof_fake_nvml PROPERTIES OUTPUT_NAME fake_nvml)
add_compile_definitions(WATTPROF_FAKE_NVML="$<TARGET_FILE:wattprof_fake_nvml>")
