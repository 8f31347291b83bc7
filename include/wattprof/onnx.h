/* ONNX networks as a small graph IR: tensors (activations and weights),
 * nodes in execution order, resolved attributes and inferred shapes.
 *
 * Only what wattprof runs and models is kept: float32 operators with a
 * single graph input and one or more graph outputs. Attributes are resolved
 * while reading (auto_pad becomes explicit pads; Clip's min/max, Reshape's
 * shape, Pad's pads, Slice's ranges, Resize's scales become node fields),
 * so runners and the engine-info writer never look at ONNX again. What an
 * exporter computes from constants and static shapes (Constant, Identity,
 * Shape, Gather, Unsqueeze, Concat, Cast, ... on constants) is folded into
 * initializers while reading; Squeeze, Unsqueeze and Flatten of activations
 * become Reshapes and Split becomes one Slice per output (as TensorRT's
 * parser does), so every node has exactly one output.
 *
 * Reading uses protobuf-c code generated at build time from Debian's
 * onnx.proto. Weights are stolen from the unpacked message rather than
 * copied, so a 100 MB ResNet-50 costs about 100 MB once loaded. Tensor data
 * is assumed little-endian, as ONNX's raw_data is (x86 and Jetson ARM). */
#ifndef WATTPROF_ONNX_H
#define WATTPROF_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "wattprof/engine.h"
#include "wattprof/error.h"

typedef enum wp_op {
    WP_OP_CONV,
    WP_OP_MAXPOOL,
    WP_OP_AVGPOOL,
    WP_OP_GLOBALAVGPOOL,
    WP_OP_GEMM,
    WP_OP_MATMUL,
    WP_OP_RELU,
    WP_OP_CLIP,
    WP_OP_BATCHNORM,
    WP_OP_ADD,
    WP_OP_CONCAT,
    WP_OP_FLATTEN,
    WP_OP_RESHAPE,
    WP_OP_SOFTMAX,
    WP_OP_DROPOUT,
    WP_OP_LRN,
    /* Added for networks exported by PyTorch (elementwise ops broadcast the
     * numpy way; constant operands are allowed). */
    WP_OP_SUB,
    WP_OP_MUL,
    WP_OP_DIV,
    WP_OP_POW,
    WP_OP_SIGMOID,
    WP_OP_HARDSIGMOID,
    WP_OP_HARDSWISH,
    WP_OP_ERF,
    WP_OP_GELU,
    WP_OP_SQRT,
    WP_OP_TANH,
    WP_OP_PAD,
    WP_OP_TRANSPOSE,
    WP_OP_SLICE,
    WP_OP_GATHER,
    WP_OP_REDUCEMEAN,
    WP_OP_LAYERNORM,
    WP_OP_RESIZE,
    WP_OP_COUNT
} wp_op;

/* ONNX op_type of an op ("Conv", ...). */
const char *wp_op_name(wp_op op);
/* 0 and *op set when name is a supported ONNX op_type, else -1. */
int wp_op_from_name(const char *name, wp_op *op);

typedef struct wp_tensor {
    char *name;
    wp_dims shape; /* n == 0 until inferred */
    int is_const;  /* an initializer (weights) */
    float *data;   /* is_const: shape's element count floats, or NULL
                           when generated lazily from seed (zoo) */
    uint64_t seed; /* data == NULL: wp_tensor_fill() draws it from here */
    float scale;   /* ... uniform in [-scale, scale] + offset */
    float offset;
} wp_tensor;

enum { WP_AUTO_PAD_NOTSET, WP_AUTO_PAD_SAME_UPPER, WP_AUTO_PAD_SAME_LOWER, WP_AUTO_PAD_VALID };

typedef struct wp_node {
    char *name;
    wp_op op;
    size_t n_in, n_out;
    int *in, *out; /* tensor indices; in[i] == -1: absent optional */
    /* Convolution and pooling (2-D): resolved, explicit. */
    int64_t kernel[2], stride[2], dilation[2];
    int64_t pads[4]; /* top, left, bottom, right */
    int64_t group;
    int auto_pad; /* WP_AUTO_PAD_*: resolved into pads (and
                                     reset to NOTSET) by shape inference */
    int ceil_mode, count_include_pad;
    /* Gemm: alpha * A' B' + beta * C. Clip: [clip_min, clip_max]. */
    float alpha, beta, epsilon, bias, clip_min, clip_max;
    int trans_a, trans_b;
    int64_t axis;    /* Concat, Flatten, Softmax, Gather, LayerNormalization */
    int64_t size;    /* LRN */
    wp_dims reshape; /* Reshape's target (may hold 0 and -1);
                                     Resize's output sizes (n == 0: scales) */
    /* Transpose: output axis i is input axis perm[i] (all 0: reversed).
     * ReduceMean: the axes (wp_node_reduce_mask) and keepdims. */
    int64_t perm[WP_MAX_DIMS];
    wp_dims reduce_axes; /* as given (may be negative; n == 0: all) */
    int keepdims;
    /* Pad: per axis begin (pads[i]) and end (pads[n + i]), may be negative
     * (crop); constant mode only. Slice: start, end, step per axis
     * (clamped by shape inference; step may be negative). */
    int64_t pad_nd[2 * WP_MAX_DIMS];
    int n_pad_nd;
    float pad_value;
    int64_t slice_start[WP_MAX_DIMS], slice_end[WP_MAX_DIMS], slice_step[WP_MAX_DIMS];
    /* Gather on an activation: constant indices (at most WP_MAX_DIMS), a
     * scalar index removes the axis. */
    int64_t gather_idx[WP_MAX_DIMS];
    int n_gather_idx, gather_scalar;
    /* Resize: WP_RESIZE_*; scales used when reshape.n == 0. Gelu: approximate
     * (tanh) when gelu_tanh. */
    int resize_mode, resize_coord, resize_nearest;
    float resize_scale[WP_MAX_DIMS];
    int gelu_tanh;
} wp_node;

enum { WP_RESIZE_NEAREST, WP_RESIZE_LINEAR };
enum { WP_COORD_HALF_PIXEL, WP_COORD_ASYMMETRIC, WP_COORD_ALIGN_CORNERS, WP_COORD_PYTORCH_HALF_PIXEL };
enum { WP_NEAREST_ROUND_PREFER_FLOOR, WP_NEAREST_ROUND_PREFER_CEIL, WP_NEAREST_FLOOR, WP_NEAREST_CEIL };

typedef struct wp_graph {
    char *name;
    wp_tensor *tensors;
    size_t n_tensors, cap_tensors;
    wp_node *nodes;
    size_t n_nodes, cap_nodes;
    int input, output; /* tensor indices; output: the first graph output */
    int *outputs;      /* every graph output (outputs[0] == output);
                                     n_outputs == 0: just output (builders
                                     that set output directly) */
    size_t n_outputs;
    int64_t opset;
} wp_graph;

void wp_graph_init(wp_graph *g, const char *name);
void wp_graph_free(wp_graph *g);

/* Adds a tensor (name copied); returns its index or -1 (out of memory). */
int wp_graph_add_tensor(wp_graph *g, const char *name, const wp_dims *shape, int is_const);
/* Appends a graph output (the first one also becomes g->output); -1 when
 * out of memory. */
int wp_graph_add_output(wp_graph *g, int tensor);
/* Index of a tensor by name, or -1. */
int wp_graph_find_tensor(const wp_graph *g, const char *name);
/* Appends a node with default attributes (stride/dilation 1, group 1,
 * alpha = beta = 1, epsilon 1e-5, axis 1); NULL when out of memory. The
 * returned pointer is valid until the next add. */
wp_node *wp_graph_add_node(wp_graph *g, wp_op op, const char *name, size_t n_in, const int *in, size_t n_out,
                           const int *out);

/* Computes every node output's shape from the graph input's shape and checks
 * that weights, strides and operand shapes agree. Errors name the node and
 * its op ("node 'conv3' (Conv): ..."). auto_pad is resolved here, since
 * it needs the input's shape. */
int wp_graph_infer_shapes(wp_graph *g, wp_error *err);

/* Infers one node's output shape (its inputs' shapes must be known); the
 * graph builders (zoo) call it node by node. */
int wp_graph_infer_node(wp_graph *g, size_t node, wp_error *err);

/* numpy broadcast of two shapes into o; -1 when they do not broadcast. */
int wp_broadcast_shape(const wp_dims *a, const wp_dims *b, wp_dims *o);
/* ReduceMean's reduced axes for an input of rank rank (mask[i] = 1 when
 * reduced); -1 when an axis is out of range. */
int wp_node_reduce_mask(const wp_node *n, int rank, int *mask);

/* Most elements one tensor may have (16 GiB of floats): every shape read
 * from a file or inferred from one is checked against it, so products of
 * dimensions, kernels and paddings taken later cannot overflow int64. */
#define WP_MAX_ELEMENTS (INT64_C(1) << 32)

/* Number of elements of a shape (1 for n == 0); for shapes already checked
 * (every tensor of a graph that read or inferred without error). */
int64_t wp_dims_count(const wp_dims *d);
/* The count into *count, or -1 when a dimension is negative or the product
 * exceeds WP_MAX_ELEMENTS (an element count from untrusted input). */
int wp_dims_count_checked(const wp_dims *d, int64_t *count);
/* "1x3x224x224" into buf; returns buf. */
char *wp_dims_format(const wp_dims *d, char *buf, size_t size);
/* Parses "NxCxHxW" (1 to 8 positive integers joined by 'x'). */
int wp_dims_parse(const char *text, wp_dims *d, wp_error *err);

/* Materialises a lazily generated initializer (zoo weights); no-op when the
 * data is already there. */
int wp_tensor_fill(wp_tensor *t, wp_error *err);
/* Writes a lazily generated initializer's values [first, first + n) into
 * out, without materialising the tensor (used to stream large weights). */
void wp_tensor_generate(const wp_tensor *t, int64_t first, int64_t n, float *out);

/* 1 when ONNX reading/writing was built in (protobuf-c and onnx.proto
 * found at configure time). */
int wp_onnx_supported(void);

/* Reads an ONNX model. input (may be NULL) overrides the graph input's
 * shape, which must otherwise be fully static. Errors: unreadable,
 * truncated or corrupt protobuf, unsupported operators (all of them, with
 * their counts, in one message), non-float activations, external data,
 * shapes that do not agree (naming the node). On failure g is left empty
 * (nothing to free), as every reader leaves its output. */
int wp_onnx_read(const char *path, const wp_dims *input, wp_graph *g, wp_error *err);

/* Writes the graph as an ONNX model (IR version 8, opset 13), atomically.
 * Lazily generated weights are streamed, so memory stays at one chunk. */
int wp_onnx_write(const char *path, const wp_graph *g, wp_error *err);

/* TensorRT-style layer type for a node, as the engine inspector would name
 * the layer that implements it: "CaskConvolution", "CaskPooling",
 * "CaskGemmConvolution" (dense), "PointWiseV2", "Concat", "SoftMax",
 * "NoOp". */
const char *wp_node_layer_type(const wp_node *node);

/* The same, knowing the node's graph, which some cases need: a ReduceMean
 * over both spatial axes of an NxCxHxW tensor is a global average pooling
 * ("CaskPooling"), a MatMul of two activations a "MatrixMultiply". This is
 * the type bench's engine info and predict --onnx give the node. */
const char *wp_graph_layer_type(const wp_graph *g, const wp_node *node);

/* The graph as engine layers (one per node), exactly as wp_engine_read
 * gives them from the engine-info file bench writes (free with
 * wp_engine_free). */
int wp_graph_to_engine(const wp_graph *g, wp_engine *eng, wp_error *err);

/* Writes trt_engine_info.json in the TensorRT engine-inspector schema.
 * fused_into (g->n_nodes entries, or NULL): per node the node whose
 * primitive ran it, or -1 (wp_runner_fused_into); a fused node's layer gets
 * "FusedInto": that node's name, which wp_engine_read keeps. cache_bytes >
 * 0: the machine's level-2 cache, written as "DeviceCacheBytes";
 * channel_block > 0: the output channels its convolutions compute together
 * (wp_cpu_channel_block), written as "DeviceChannelBlock". */
int wp_graph_write_engine_info(const wp_graph *g, const int *fused_into, long long cache_bytes, int channel_block,
                               const char *path, wp_error *err);

#endif
