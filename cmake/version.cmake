# The version recorded in the files wattprof writes (mapping_info.json),
# from project(... VERSION ...), so it cannot drift from the build's.
target_compile_definitions(wattprof_lib PRIVATE WATTPROF_VERSION="${PROJECT_VERSION}")
