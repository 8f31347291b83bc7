/* What the ONNX reader (onnx.c: folding constant Slices) and the graph's
 * shape inference (onnx_graph.c) share, so both resolve a Slice alike. */
#ifndef WATTPROF_NET_ONNX_INTERNAL_H
#define WATTPROF_NET_ONNX_INTERNAL_H

#include <stdint.h>

/* Resolves a Slice range on one axis of length DIM (ONNX rules: negative
 * indices count from the end, clamped): sets *FIRST to the first index and
 * returns the count. */
int64_t wp__onnx_slice_axis(int64_t dim, int64_t st, int64_t en, int64_t step, int64_t *first);

#endif
