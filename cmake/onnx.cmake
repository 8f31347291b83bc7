# ONNX import/export: C code generated at build time from the onnx.proto that
# Debian's libonnx-dev ships, with protoc-c (protobuf-c-compiler). The
# generated files live in the build tree only; nothing generated is committed.
# WATTPROF_ONNX: AUTO (default), ON or OFF.
if(NOT WATTPROF_ONNX STREQUAL "OFF")
  find_program(WATTPROF_PROTOC_C protoc-c)
  find_path(WATTPROF_ONNX_PROTO_DIR onnx.proto PATHS /usr/include/onnx /usr/local/include/onnx)
  find_path(WATTPROF_PROTOBUF_C_INCLUDE protobuf-c/protobuf-c.h)
  find_library(WATTPROF_PROTOBUF_C_LIB protobuf-c)
endif()
wattprof_feature_found(WATTPROF_ONNX "protoc-c, libprotobuf-c-dev or libonnx-dev's onnx.proto" WATTPROF_PROTOC_C
                       WATTPROF_ONNX_PROTO_DIR WATTPROF_PROTOBUF_C_INCLUDE WATTPROF_PROTOBUF_C_LIB)

if(WATTPROF_ONNX_FOUND)
  set(WATTPROF_ONNX_GEN_DIR ${CMAKE_BINARY_DIR}/generated/onnx)
  file(MAKE_DIRECTORY ${WATTPROF_ONNX_GEN_DIR})
  add_custom_command(
    OUTPUT ${WATTPROF_ONNX_GEN_DIR}/onnx.pb-c.c ${WATTPROF_ONNX_GEN_DIR}/onnx.pb-c.h
    COMMAND ${WATTPROF_PROTOC_C} --proto_path=${WATTPROF_ONNX_PROTO_DIR}
            --c_out=${WATTPROF_ONNX_GEN_DIR} ${WATTPROF_ONNX_PROTO_DIR}/onnx.proto
    DEPENDS ${WATTPROF_ONNX_PROTO_DIR}/onnx.proto
    COMMENT "Generating ONNX protobuf-c code from ${WATTPROF_ONNX_PROTO_DIR}/onnx.proto")
  # Generated code is not ours to keep warning-clean under our -Werror set.
  set_source_files_properties(${WATTPROF_ONNX_GEN_DIR}/onnx.pb-c.c PROPERTIES
    GENERATED TRUE COMPILE_OPTIONS "-w")
  target_sources(wattprof_lib PRIVATE ${WATTPROF_ONNX_GEN_DIR}/onnx.pb-c.c)
  wattprof_feature_use(ONNX INCLUDES ${WATTPROF_ONNX_GEN_DIR} ${WATTPROF_PROTOBUF_C_INCLUDE}
                       LIBS ${WATTPROF_PROTOBUF_C_LIB})
  message(STATUS "ONNX support: protoc-c ${WATTPROF_PROTOC_C}, ${WATTPROF_ONNX_PROTO_DIR}/onnx.proto")
else()
  message(STATUS "ONNX support: OFF (WATTPROF_ONNX=${WATTPROF_ONNX}; needs protoc-c, libprotobuf-c-dev and libonnx-dev's onnx.proto)")
endif()
