/* What the ONNX reader (onnx.c: folding constants), the graph's shape
 * inference (onnx_graph.c) and the ref runner share, so all of them
 * resolve a Slice alike, agree on which ops are activations and index
 * row-major data the same way. */
#ifndef WATTPROF_NET_ONNX_INTERNAL_H
#define WATTPROF_NET_ONNX_INTERNAL_H

#include <stdint.h>

#include "wattprof/onnx.h"

/* Resolves a Slice range on one axis of length DIM (ONNX rules: negative
 * indices count from the end, clamped): sets *FIRST to the first index and
 * returns the count. */
int64_t wp__onnx_slice_axis(int64_t dim, int64_t st, int64_t en, int64_t step, int64_t *first);

/* 1 for the one-input elementwise math ops (ReLU, Clip, Sigmoid,
 * HardSigmoid, HardSwish, Erf, Gelu, Sqrt, Tanh): shape in = shape out,
 * one TensorRT PointWise layer each, one ref_unary kernel. Dropout (an
 * identity at inference) is not one. */
int wp__op_is_activation(wp_op op);

/* The element strides of row-major data of shape d into st[0 .. d->n-1]
 * (the last axis 1). */
void wp__dims_strides(const wp_dims *d, int64_t *st);

#endif
